// Command gen produces the golden gob vectors of driver/test/gob and checks gob streams written by the TypeScript
// encoder. It uses only the Go standard library (Go 1.19+); no go.mod is needed.
//
// Regenerate the vectors (from the repository root):
//
//	cd driver/test/gob/gen && go run main.go gen ../testdata
//
// Check TypeScript-encoded streams (one <case>.gob per case, holding that case's values in order):
//
//	cd driver/test/gob/gen && go run main.go check <dir>
//
// Output is deterministic: every case is encoded in a fresh child process, so Go's process-wide type ids start at
// 65 for each vector, and values holding maps are re-encoded until Go iterates the map in insertion order (maps
// here have at most 8 entries, so they live in one bucket and Go only rotates its start slot).
package main

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
)

// The net/rpc headers (net/rpc Request and Response).
type Request struct {
	ServiceMethod string
	Seq           uint64
}

type Response struct {
	ServiceMethod string
	Seq           uint64
	Error         string
}

// libmachine/mcnflag.
type StringFlag struct {
	Name   string
	Usage  string
	EnvVar string
	Value  string
}

type StringSliceFlag struct {
	Name   string
	Usage  string
	EnvVar string
	Value  []string
}

type IntFlag struct {
	Name   string
	Usage  string
	EnvVar string
	Value  int
}

type BoolFlag struct {
	Name   string
	Usage  string
	EnvVar string
}

// libmachine/drivers/rpc.RPCFlags.
type RPCFlags struct {
	Values map[string]interface{}
}

type Inner struct {
	A int
	B string
}

type Nested struct {
	Name  string
	In    Inner
	Ptr   *Inner
	List  []Inner
	Arr   [3]int
	M     map[string]int
	F     float64
	U     uint64
	I8    int8
	Ok    bool
	Raw   []byte
	Any   interface{}
	Names []string
}

func init() {
	// The names the real plugins register (gob.Register names pointer types "*" + package + "." + type).
	gob.RegisterName("*mcnflag.StringFlag", &StringFlag{})
	gob.RegisterName("*mcnflag.StringSliceFlag", &StringSliceFlag{})
	gob.RegisterName("*mcnflag.IntFlag", &IntFlag{})
	gob.RegisterName("*mcnflag.BoolFlag", &BoolFlag{})
	gob.RegisterName("*rpcdriver.RPCFlags", &RPCFlags{})
	gob.RegisterName("gen.Inner", Inner{})
}

func ptr[T any](v T) *T { return &v }

func iface(v interface{}) *interface{} { return &v }

// orderedMap builds a map by inserting keys in the given order.
func orderedMap[V any](keys []string, vals []V) map[string]V {
	m := make(map[string]V)
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m
}

type testCase struct {
	name   string
	values []interface{} // pointers; each is one top-level Encode
	// keys of maps inside the values, in the order the golden bytes must list them
	mapKeys [][]string
}

func createFlags() []interface{} {
	return []interface{}{
		&StringFlag{Name: "hetzner-api-token", Usage: "Hetzner Cloud API token", EnvVar: "HETZNER_API_TOKEN"},
		&StringFlag{Name: "hetzner-image", Usage: "Image to use", EnvVar: "HETZNER_IMAGE", Value: "ubuntu-24.04"},
		&IntFlag{Name: "hetzner-ssh-port", Usage: "SSH port", Value: 22},
		&StringSliceFlag{Name: "hetzner-firewalls", Usage: "Firewall names or ids"},
		&StringSliceFlag{Name: "hetzner-labels", Usage: "Labels", Value: []string{"a=b", "c=d"}},
		&BoolFlag{Name: "hetzner-use-private-network", Usage: "Use the private network", EnvVar: "HETZNER_PRIVATE"},
	}
}

var rpcFlagKeys = []string{"driver", "hetzner-firewalls", "hetzner-image", "hetzner-labels", "hetzner-ssh-port",
	"hetzner-use-private-network", "swarm-master", "zz-missing"}

func rpcFlags() *interface{} {
	return iface(&RPCFlags{Values: orderedMap(rpcFlagKeys, []interface{}{
		"hetzner", []string(nil), "ubuntu-24.04", []string{"a=b", "team=ops"}, 22, false, true, nil,
	})})
}

var nestedKeys = []string{"one", "two"}

func cases() []testCase {
	jsonCfg := []byte(`{"MachineName":"m1","SSHPort":22}`)
	big := make([]byte, 300)
	for i := range big {
		big[i] = byte(i)
	}
	return []testCase{
		{name: "request", values: []interface{}{
			&Request{ServiceMethod: "RPCServerDriver.GetVersion"},
			&Request{ServiceMethod: "RPCServerDriver.SetConfigRaw", Seq: 1},
			&Request{ServiceMethod: "RPCServerDriver.Create", Seq: 1<<63 + 5},
		}},
		{name: "response", values: []interface{}{
			&Response{ServiceMethod: "RPCServerDriver.GetVersion"},
			&Response{ServiceMethod: "RPCServerDriver.Kill", Seq: 17, Error: "demo: kill not supported"},
		}},
		{name: "empty_struct", values: []interface{}{&struct{}{}, &struct{}{}}},
		{name: "int", values: []interface{}{ptr(0), ptr(1), ptr(-1), ptr(22), ptr(65), ptr(-65), ptr(-66),
			ptr(1 << 53), ptr(-(1 << 53) - 1), ptr(math.MaxInt64), ptr(math.MinInt64)}},
		{name: "uint", values: []interface{}{ptr(uint64(0)), ptr(uint64(7)), ptr(uint64(127)), ptr(uint64(128)),
			ptr(uint64(256)), ptr(uint64(1<<53 - 1)), ptr(uint64(1 << 53)), ptr(uint64(math.MaxUint64))}},
		{name: "bool", values: []interface{}{ptr(true), ptr(false)}},
		{name: "float", values: []interface{}{ptr(0.0), ptr(1.5), ptr(-2.25), ptr(17.0), ptr(1e-300),
			ptr(math.MaxFloat64), ptr(math.SmallestNonzeroFloat64), ptr(math.Inf(1)), ptr(math.Inf(-1))}},
		{name: "string", values: []interface{}{ptr(""), ptr("hello"), ptr("ünïcødé ✓"), ptr(string(bytes.Repeat([]byte("x"), 200)))}},
		{name: "bytes", values: []interface{}{&jsonCfg, ptr([]byte{}), &big}},
		{name: "slices", values: []interface{}{ptr([]string{"a", "", "c"}), ptr([]int{0, -1, 300}), ptr([]string{}),
			ptr([][]string{{"x"}, {}, {"y", "z"}})}},
		{name: "arrays", values: []interface{}{ptr([3]int{1, 0, -3}), ptr([2]string{"a", "b"})}},
		{name: "maps", values: []interface{}{ptr(orderedMap(nestedKeys, []int{1, -2})),
			ptr(orderedMap(nestedKeys, [][]string{{"a"}, nil}))}, mapKeys: [][]string{nestedKeys, nestedKeys}},
		{name: "nested", values: []interface{}{
			&Nested{Name: "full", In: Inner{A: -7, B: "in"}, Ptr: &Inner{A: 1}, List: []Inner{{A: 2}, {B: "b"}},
				Arr: [3]int{4, 5, 6}, M: orderedMap(nestedKeys, []int{1, 2}), F: 3.25, U: 1 << 60, I8: -128, Ok: true,
				Raw: []byte{0, 1, 2}, Any: Inner{A: 9, B: "any"}, Names: []string{"n"}},
			&Nested{},
		}, mapKeys: [][]string{nestedKeys}},
		{name: "nil_interface", values: []interface{}{iface(nil), ptr([]interface{}{nil, "s", 3, []string{"x"}, Inner{A: 1}, nil})}},
		{name: "create_flags", values: []interface{}{ptr(createFlags())}},
		{name: "rpcflags", values: []interface{}{rpcFlags()}, mapKeys: [][]string{rpcFlagKeys}},
		// One direction of a real plugin connection each, after the HTTP CONNECT exchange.
		{name: "session_c2s", values: []interface{}{
			&Request{ServiceMethod: "RPCServerDriver.GetVersion"}, &struct{}{},
			&Request{ServiceMethod: "RPCServerDriver.SetConfigRaw", Seq: 1}, &jsonCfg,
			&Request{ServiceMethod: "RPCServerDriver.SetConfigFromFlags", Seq: 2}, rpcFlags(),
			&Request{ServiceMethod: "RPCServerDriver.GetState", Seq: 3}, &struct{}{},
		}, mapKeys: [][]string{rpcFlagKeys}},
		{name: "session_s2c", values: []interface{}{
			&Response{ServiceMethod: "RPCServerDriver.GetVersion"}, ptr(1),
			&Response{ServiceMethod: "RPCServerDriver.GetCreateFlags", Seq: 1}, ptr(createFlags()),
			&Response{ServiceMethod: "RPCServerDriver.Kill", Seq: 2, Error: "demo: kill not supported"}, &struct{}{},
			&Response{ServiceMethod: "RPCServerDriver.GetState", Seq: 3}, ptr(1),
			&Response{ServiceMethod: "RPCServerDriver.GetConfigRaw", Seq: 4}, &jsonCfg,
		}},
	}
}

func findCase(name string) testCase {
	for _, c := range cases() {
		if c.name == name {
			return c
		}
	}
	fail("unknown case %q", name)
	return testCase{}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// inOrder reports whether every key list appears in the encoding in its given order.
func inOrder(data []byte, keyLists [][]string) bool {
	from := 0
	for _, keys := range keyLists {
		last := -1
		for _, k := range keys {
			enc := append([]byte{byte(len(k))}, k...)
			i := bytes.Index(data[from:], enc)
			if i < 0 || from+i < last {
				return false
			}
			last = from + i
		}
		from = last + 1
	}
	return true
}

func encodeCase(c testCase) []byte {
	for attempt := 0; attempt < 100000; attempt++ {
		var buf bytes.Buffer
		enc := gob.NewEncoder(&buf)
		for _, v := range c.values {
			if err := enc.Encode(v); err != nil {
				fail("%s: encode: %v", c.name, err)
			}
		}
		if inOrder(buf.Bytes(), c.mapKeys) {
			return buf.Bytes()
		}
	}
	fail("%s: Go never iterated the maps in insertion order", c.name)
	return nil
}

// equal is reflect.DeepEqual except that nil and empty slices and maps are equal, as gob does not keep the
// difference inside structs, and that a nil pointer equals a pointer to a zero value: gob flattens pointers, and
// TypeScript descriptors have none, so a decoded absent struct field comes back as the zero struct.
func equal(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() != b.IsNil() {
			nonNil := a
			if a.IsNil() {
				nonNil = b
			}
			return nonNil.Elem().IsZero()
		}
		return a.IsNil() || equal(a.Elem(), b.Elem())
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equal(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !equal(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !equal(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	default:
		return a.Interface() == b.Interface()
	}
}

func check(dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*.gob"))
	if err != nil || len(files) == 0 {
		fail("check: no .gob files in %s", dir)
	}
	sort.Strings(files)
	failed := false
	for _, f := range files {
		name := filepath.Base(f)
		name = name[:len(name)-len(".gob")]
		c := findCase(name)
		data, err := os.ReadFile(f)
		if err != nil {
			fail("%v", err)
		}
		dec := gob.NewDecoder(bytes.NewReader(data))
		for i, want := range c.values {
			got := reflect.New(reflect.TypeOf(want).Elem())
			if err := dec.DecodeValue(got); err != nil {
				fmt.Printf("FAIL %s value %d: decode: %v\n", name, i, err)
				failed = true
				break
			}
			if !equal(got.Elem(), reflect.ValueOf(want).Elem()) {
				fmt.Printf("FAIL %s value %d: got %#v, want %#v\n", name, i, got.Elem().Interface(), reflect.ValueOf(want).Elem().Interface())
				failed = true
				break
			}
		}
		var extra interface{}
		if !failed {
			if err := dec.Decode(&extra); err == nil {
				fmt.Printf("FAIL %s: trailing value after %d values\n", name, len(c.values))
				failed = true
				continue
			}
			fmt.Printf("ok %s\n", name)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: main.go gen <outdir> | check <dir>")
	}
	switch os.Args[1] {
	case "gen":
		for _, c := range cases() {
			cmd := exec.Command(os.Args[0], "gen-one", c.name, os.Args[2])
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				fail("%s: %v", c.name, err)
			}
		}
	case "gen-one":
		c := findCase(os.Args[2])
		out := filepath.Join(os.Args[3], c.name+".gob")
		if err := os.WriteFile(out, encodeCase(c), 0o644); err != nil {
			fail("%v", err)
		}
		fmt.Printf("wrote %s\n", out)
	case "check":
		check(os.Args[2])
	default:
		fail("unknown command %q", os.Args[1])
	}
}
