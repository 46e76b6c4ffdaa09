// goclient plays rancher-machine against a plugin, with nothing but Go's standard library (net/rpc over HTTP
// CONNECT, encoding/gob): it starts the plugin given after "--", reads its address, calls all 24 methods and
// checks every reply against the DoubleDriver's known answers. It prints "ok <Method>" per check and "PASS" at the
// end; any mismatch prints "FAIL: …" and exits 1.
//
// Usage: goclient -- <command> [args...]   (the plugin must run the DoubleDriver: driver/test/fixtures/plugin-double.ts)
package main

import (
	"bufio"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"net/rpc"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sync"
	"time"
)

// The mcnflag types, registered under the names docker/machine's gob.Register gives them.
type Flag interface{ FlagName() string }

type StringFlag struct {
	Name, Usage, EnvVar string
	Value               string
}
type IntFlag struct {
	Name, Usage, EnvVar string
	Value               int
}
type StringSliceFlag struct {
	Name, Usage, EnvVar string
	Value               []string
}
type BoolFlag struct{ Name, Usage, EnvVar string }

func (f *StringFlag) FlagName() string      { return f.Name }
func (f *IntFlag) FlagName() string         { return f.Name }
func (f *StringSliceFlag) FlagName() string { return f.Name }
func (f *BoolFlag) FlagName() string        { return f.Name }

// DriverOptions / RPCFlags as in libmachine/drivers and libmachine/drivers/rpc.
type DriverOptions interface{ Get(key string) interface{} }
type RPCFlags struct{ Values map[string]interface{} }

func (r *RPCFlags) Get(key string) interface{} { return r.Values[key] }

const (
	createDelay    = 1500 * time.Millisecond
	killFailure    = "double: kill not supported"
	addressTimeout = 10 * time.Second
)

var addrLine = regexp.MustCompile(`^127\.0\.0\.1:[0-9]+$`)

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func ok(method string) { fmt.Printf("ok %s\n", method) }

func main() {
	registerTypes()
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fail("usage: goclient -- <plugin command> [args...]")
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(),
		"MACHINE_PLUGIN_TOKEN=42",
		"MACHINE_PLUGIN_DRIVER_NAME=double",
		fmt.Sprintf("DOUBLE_CREATE_DELAY_MS=%d", createDelay.Milliseconds()),
		fmt.Sprintf(`DOUBLE_FAILURES={"kill":%q}`, killFailure),
	)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fail("stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		fail("start plugin: %v", err)
	}
	exited := make(chan error, 1)
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				addrCh <- sc.Text()
				first = false
			} else {
				fmt.Printf("plugin: %s\n", sc.Text())
			}
		}
		exited <- cmd.Wait()
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case err := <-exited:
		fail("plugin exited before printing its address: %v", err)
	case <-time.After(addressTimeout):
		_ = cmd.Process.Kill()
		fail("no address within %v", addressTimeout)
	}
	if !addrLine.MatchString(addr) {
		fail("first stdout line %q is not exactly 127.0.0.1:PORT", addr)
	}
	ok("address")

	c, err := rpc.DialHTTP("tcp", addr)
	if err != nil {
		fail("DialHTTP %s: %v", addr, err)
	}
	run(c)

	// Close: the plugin answers, then exits 0 (a Go plugin may exit before answering; ours must answer).
	if err := c.Call("RPCServerDriver.Close", struct{}{}, nil); err != nil {
		fail("Close: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			fail("plugin exit after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		fail("plugin still running 5 s after Close")
	}
	ok("Close")
	fmt.Println("PASS")
}

func registerTypes() {
	gob.RegisterName("*mcnflag.StringFlag", &StringFlag{})
	gob.RegisterName("*mcnflag.IntFlag", &IntFlag{})
	gob.RegisterName("*mcnflag.StringSliceFlag", &StringSliceFlag{})
	gob.RegisterName("*mcnflag.BoolFlag", &BoolFlag{})
	gob.RegisterName("*rpcdriver.RPCFlags", &RPCFlags{})
}

func call(c *rpc.Client, method string, args interface{}, reply interface{}) {
	if err := c.Call("RPCServerDriver."+method, args, reply); err != nil {
		fail("%s: %v", method, err)
	}
}

func expectString(c *rpc.Client, method, want string) {
	var got string
	call(c, method, struct{}{}, &got)
	if got != want {
		fail("%s = %q, want %q", method, got, want)
	}
	ok(method)
}

func expectInt(c *rpc.Client, method string, want int) {
	var got int
	call(c, method, struct{}{}, &got)
	if got != want {
		fail("%s = %d, want %d", method, got, want)
	}
	ok(method)
}

func expectVoid(c *rpc.Client, method string) {
	call(c, method, struct{}{}, &struct{}{})
	ok(method)
}

func expectError(c *rpc.Client, serviceMethod, want string) {
	var reply struct{}
	err := c.Call(serviceMethod, struct{}{}, &reply)
	var se rpc.ServerError
	if err == nil || !errors.As(err, &se) || string(se) != want {
		fail("%s: error %v, want %q", serviceMethod, err, want)
	}
}

func run(c *rpc.Client) {
	expectInt(c, "GetVersion", 1)
	var v0 int
	if err := c.Call("RpcServerDriver.GetVersion", struct{}{}, &v0); err != nil || v0 != 1 {
		fail("RpcServerDriver.GetVersion = %d, %v", v0, err)
	}
	ok("RpcServerDriver.GetVersion")

	base := []byte(`{"IPAddress":"","IPv6Address":"","MachineName":"m1","SSHUser":"","SSHPort":0,"SSHKeyPath":"","StorePath":"/store","SwarmMaster":false,"SwarmHost":"","SwarmDiscovery":""}`)
	call(c, "SetConfigRaw", base, &struct{}{})
	ok("SetConfigRaw")
	expectString(c, "GetMachineName", "m1")
	expectString(c, "DriverName", "double")

	var flags []Flag
	call(c, "GetCreateFlags", struct{}{}, &flags)
	checkFlags(flags)
	ok("GetCreateFlags")

	var opts DriverOptions = &RPCFlags{Values: map[string]interface{}{
		"double-image":               "debian-12",
		"double-ssh-port":            2200,
		"negative":                   -7,
		"double-use-private-network": true,
		"swarm-master":               false,
		"double-networks":            []string{"net-a", "net-b"},
		"double-labels":              []string(nil),
		"empty":                      "",
	}}
	call(c, "SetConfigFromFlags", &opts, &struct{}{})
	ok("SetConfigFromFlags")

	var raw []byte
	call(c, "GetConfigRaw", struct{}{}, &raw)
	var cfg map[string]interface{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		fail("GetConfigRaw: not JSON: %v (%q)", err, raw)
	}
	want := map[string]interface{}{
		"MachineName":                     "m1",
		"StorePath":                       "/store",
		"flag:double-image":               "debian-12",
		"flag:double-ssh-port":            float64(2200),
		"flag:negative":                   float64(-7),
		"flag:double-use-private-network": true,
		"flag:swarm-master":               false,
		"flag:double-networks":            []interface{}{"net-a", "net-b"},
		"flag:double-labels":              []interface{}{},
		"flag:empty":                      "",
	}
	for k, w := range want {
		if got, found := cfg[k]; !found || !reflect.DeepEqual(got, w) {
			fail("GetConfigRaw[%q] = %#v, want %#v (config %s)", k, got, w, raw)
		}
	}
	ok("GetConfigRaw")

	expectString(c, "GetIP", "192.0.2.10")
	expectString(c, "GetIPv6", "2001:db8::1")
	expectString(c, "GetSSHHostname", "192.0.2.10")
	expectString(c, "GetSSHKeyPath", "/store/machines/m1/id_ed25519")
	expectInt(c, "GetSSHPort", 2222)
	expectString(c, "GetSSHUsername", "root")
	expectString(c, "GetURL", "tcp://192.0.2.10:2376")
	expectInt(c, "GetState", 1)
	expectVoid(c, "PreCreateCheck")

	// A slow Create must not hold up a Heartbeat: rancher-machine heartbeats throughout a multi-minute Create.
	var wg sync.WaitGroup
	createDone := make(chan time.Time, 1)
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		call(c, "Create", struct{}{}, &struct{}{})
		createDone <- time.Now()
	}()
	time.Sleep(200 * time.Millisecond)
	if err := c.Call("RPCServerDriver.Heartbeat", struct{}{}, nil); err != nil {
		fail("Heartbeat during Create: %v", err)
	}
	heartbeatAt := time.Now()
	wg.Wait()
	createdAt := <-createDone
	if !heartbeatAt.Before(createdAt) {
		fail("Heartbeat was answered only after Create finished")
	}
	if createdAt.Sub(start) < createDelay-100*time.Millisecond {
		fail("Create returned after %v, before its %v delay", createdAt.Sub(start), createDelay)
	}
	ok("Heartbeat")
	ok("Create")

	for _, m := range []string{"Start", "Stop", "Restart", "Remove"} {
		expectVoid(c, m)
	}
	expectError(c, "RPCServerDriver.Kill", killFailure)
	ok("Kill")
	expectError(c, "RPCServerDriver.Upgrade", "rpc: can't find method RPCServerDriver.Upgrade")
	ok("Upgrade")
	expectError(c, "NoSuchService.GetVersion", "rpc: can't find service NoSuchService.GetVersion")
	ok("unknown service")
	// The connection survives errors: a call after them still works.
	expectInt(c, "GetVersion", 1)
}

func checkFlags(flags []Flag) {
	if len(flags) != 6 {
		fail("GetCreateFlags: %d flags, want 6: %#v", len(flags), flags)
	}
	if f, isType := flags[0].(*StringFlag); !isType || f.Name != "double-api-token" || f.EnvVar != "DOUBLE_API_TOKEN" || f.Value != "" {
		fail("flag 0 = %#v", flags[0])
	}
	if f, isType := flags[1].(*StringFlag); !isType || f.Name != "double-image" || f.Usage != "Image name" || f.Value != "ubuntu-24.04" {
		fail("flag 1 = %#v", flags[1])
	}
	if f, isType := flags[2].(*IntFlag); !isType || f.Name != "double-ssh-port" || f.Value != 22 {
		fail("flag 2 = %#v", flags[2])
	}
	if f, isType := flags[3].(*StringSliceFlag); !isType || f.Name != "double-networks" || !reflect.DeepEqual(f.Value, []string{"a", "b"}) {
		fail("flag 3 = %#v", flags[3])
	}
	if f, isType := flags[4].(*StringSliceFlag); !isType || f.Name != "double-labels" || len(f.Value) != 0 {
		fail("flag 4 = %#v", flags[4])
	}
	if f, isType := flags[5].(*BoolFlag); !isType || f.Name != "double-use-private-network" || f.EnvVar != "DOUBLE_PRIVATE" {
		fail("flag 5 = %#v", flags[5])
	}
}
