// machine is a stand-in for rancher-machine and for the parts of the Rancher server that talk to a machine driver
// plugin, written with Go's standard library only (net/rpc over HTTP CONNECT, encoding/gob). It makes the calls the
// real programs make, in their order, with the values they send (reference: rancher-machine-protocol.md §4, §6,
// §8, §9.2, §9.5), so that a driver that works here works under Rancher.
//
//	machine [global flags] introspect
//	machine [global flags] create --driver D [--custom-install-script F] [--hostname-override H] [--D-x v …] NAME
//	machine [global flags] rm [-y] [--update-config] NAME
//	machine [global flags] status NAME
//	machine [global flags] ip NAME
//
// Global flags: --plugin-json '["cmd","arg",…]' (how to start the driver; without it, as rancher-machine does,
// docker-machine-driver-D on PATH), --storage-path DIR, --secret-namespace/--secret-name/--kubeconfig (the job's
// secret-backed store: accepted and recorded, the store stays in --storage-path), --state-interval DURATION (rancher-machine: 3s),
// --credential-fields apiToken,… and --min-exit/--max-exit (bounds for the introspected plugin's self-exit).
//
// Log lines go to stdout as rancher-machine prints them; plugin stdout is shown as "(name) line" and plugin stderr as
// "(name) DBG | line". The last stdout line is "RESULT <json>" with what was observed. Exit codes follow
// rancher-machine: 0 success, 1 failure, 3 pre-create check failed.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"net/rpc"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ---- the wire types, under the names docker/machine's gob.Register gives them ---------------------------------------

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

func envVarOf(f Flag) string {
	switch x := f.(type) {
	case *StringFlag:
		return x.EnvVar
	case *IntFlag:
		return x.EnvVar
	case *StringSliceFlag:
		return x.EnvVar
	case *BoolFlag:
		return x.EnvVar
	}
	return ""
}

// defaultOf is mcnflag's Flag.Default(): a BoolFlag's default is always false, a slice's may be nil.
func defaultOf(f Flag) interface{} {
	switch x := f.(type) {
	case *StringFlag:
		return x.Value
	case *IntFlag:
		return x.Value
	case *StringSliceFlag:
		return x.Value
	case *BoolFlag:
		return false
	}
	return nil
}

type DriverOptions interface{ String(key string) string }

type RPCFlags struct{ Values map[string]interface{} }

func (r *RPCFlags) String(key string) string {
	s, _ := r.Values[key].(string)
	return s
}

func init() {
	gob.RegisterName("*mcnflag.StringFlag", &StringFlag{})
	gob.RegisterName("*mcnflag.IntFlag", &IntFlag{})
	gob.RegisterName("*mcnflag.StringSliceFlag", &StringSliceFlag{})
	gob.RegisterName("*mcnflag.BoolFlag", &BoolFlag{})
	gob.RegisterName("*rpcdriver.RPCFlags", &RPCFlags{})
}

// BaseDriver as rancher-machine marshals it (field names are the JSON keys; IPv6Address since rancher134).
type BaseDriver struct {
	IPAddress      string
	IPv6Address    string
	MachineName    string
	SSHUser        string
	SSHPort        int
	SSHKeyPath     string
	StorePath      string
	SwarmMaster    bool
	SwarmHost      string
	SwarmDiscovery string
}

var stateNames = []string{"", "Running", "Paused", "Saved", "Stopped", "Stopping", "Starting", "Error", "Timeout", "Not Found"}

func stateName(s int) string {
	if s >= 0 && s < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", s)
}

const stateRunning = 1

// ---- global settings and the observation record ------------------------------------------------------------------

var (
	pluginCmd        []string
	storagePath      = filepath.Join(os.TempDir(), "machine-emulation")
	stateInterval    = 3 * time.Second
	stateTries       = 60
	credentialFields = []string{"apiToken"}
	minExit          = 9500 * time.Millisecond
	maxExit          = 12 * time.Second
)

const (
	addressTimeout    = 10 * time.Second
	heartbeatInterval = 5 * time.Second
	closeExitTimeout  = 5 * time.Second
)

type result struct {
	Args         []string          `json:"args"`
	Command      string            `json:"command"`
	OK           bool              `json:"ok"`
	Error        string            `json:"error,omitempty"`
	Calls        []string          `json:"calls"`
	Heartbeats   int               `json:"heartbeats"`
	ExitCodes    map[string]int    `json:"exitCodes"`
	UserDataFile string            `json:"userDataFile,omitempty"`
	Values       map[string]string `json:"values,omitempty"`
	Fields       []schemaField     `json:"fields,omitempty"`
	ExitAfterMs  int64             `json:"exitAfterMs,omitempty"`
	State        string            `json:"state,omitempty"`
	Info         map[string]string `json:"info,omitempty"`
	mu           sync.Mutex
}

var res = &result{Calls: []string{}, ExitCodes: map[string]int{}, Info: map[string]string{}}

func (r *result) call(s string) {
	r.mu.Lock()
	r.Calls = append(r.Calls, s)
	r.mu.Unlock()
}

func logf(format string, args ...interface{}) { fmt.Printf(format+"\n", args...) }

// killing is set once the process is being killed on purpose; other goroutines then must not report.
var killing atomic.Bool

// finish prints the RESULT line and exits with code.
func finish(code int, err error) {
	if killing.Load() && code != 137 {
		select {}
	}
	res.mu.Lock()
	res.OK = code == 0
	if err != nil {
		res.Error = err.Error()
		fmt.Fprintln(os.Stderr, err.Error())
	}
	b, _ := json.Marshal(res)
	res.mu.Unlock()
	fmt.Printf("RESULT %s\n", b)
	os.Exit(code)
}

// ---- one plugin process ------------------------------------------------------------------------------------------

type plugin struct {
	label     string
	driver    string
	cmd       *exec.Cmd
	client    *rpc.Client
	addrAt    time.Time
	exited    chan struct{}
	exitCode  int
	nameMu    sync.Mutex
	name      string
	hbStop    chan struct{}
	hbDone    chan struct{}
	closeOnce sync.Once
}

// startPlugin is localbinary's Executor.Start + Plugin.Address: the parent's argv is passed through, the token and
// driver name are added to the inherited environment, and the first stdout line must be the address within 10 s.
func startPlugin(label, driver string) (*plugin, error) {
	command := pluginCmd
	if len(command) == 0 {
		// localbinary: the executable docker-machine-driver-<name> on PATH, as the job installs it.
		path, err := exec.LookPath("docker-machine-driver-" + driver)
		if err != nil {
			return nil, fmt.Errorf("Driver %q not found. Do you have the plugin binary %q accessible in your PATH?", driver, "docker-machine-driver-"+driver)
		}
		command = []string{path}
	}
	args := append(append([]string{}, command[1:]...), os.Args...)
	cmd := exec.Command(command[0], args...)
	cmd.Env = append(os.Environ(), "MACHINE_PLUGIN_TOKEN=42", "MACHINE_PLUGIN_DRIVER_NAME="+driver)
	// localbinary/utils.go (rancher117+): Rancher's server runs plugins as an unprivileged user this way.
	if uid, gid := os.Getenv("MACHINE_PLUGIN_UID"), os.Getenv("MACHINE_PLUGIN_GID"); uid != "" && gid != "" {
		u, uerr := strconv.ParseUint(uid, 10, 32)
		g, gerr := strconv.ParseUint(gid, 10, 32)
		if uerr != nil || gerr != nil {
			return nil, fmt.Errorf("MACHINE_PLUGIN_UID/GID must be numbers, got %q/%q", uid, gid)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u), Gid: uint32(g)}}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("Error starting plugin binary: %v", err)
	}
	p := &plugin{label: label, driver: driver, cmd: cmd, exited: make(chan struct{})}
	addrCh := make(chan string, 1)
	var streams sync.WaitGroup
	streams.Add(2)
	go func() {
		defer streams.Done()
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				first = false
				addrCh <- strings.TrimSpace(sc.Text())
				continue
			}
			logf("(%s) %s", p.machineName(), sc.Text())
		}
	}()
	go func() {
		defer streams.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logf("(%s) DBG | %s", p.machineName(), sc.Text())
		}
	}()
	go func() {
		streams.Wait()
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		p.exitCode = code
		res.mu.Lock()
		res.ExitCodes[label] = code
		res.mu.Unlock()
		close(p.exited)
	}()

	var addr string
	select {
	case addr = <-addrCh:
	case <-p.exited:
		return nil, fmt.Errorf("%s: the plugin exited (code %d) before printing its address", label, p.exitCode)
	case <-time.After(addressTimeout):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s: timed out waiting for the plugin's address (%v)", label, addressTimeout)
	}
	p.addrAt = time.Now()
	if !regexp.MustCompile(`^127\.0\.0\.1:[0-9]+$`).MatchString(addr) {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s: first stdout line %q is not an address 127.0.0.1:PORT", label, addr)
	}
	c, err := rpc.DialHTTP("tcp", addr)
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s: DialHTTP %s: %v", label, addr, err)
	}
	p.client = c
	return p, nil
}

func (p *plugin) machineName() string {
	p.nameMu.Lock()
	defer p.nameMu.Unlock()
	return p.name
}

func (p *plugin) call(method string, args, reply interface{}) error {
	if killing.Load() {
		select {}
	}
	res.call(p.label + ":" + method)
	err := p.client.Call("RPCServerDriver."+method, args, reply)
	if err != nil && killing.Load() {
		select {}
	}
	return err
}

func (p *plugin) mustCall(method string, args, reply interface{}) {
	if err := p.call(method, args, reply); err != nil {
		p.kill()
		finish(1, fmt.Errorf("%s: %s: %v", p.label, method, err))
	}
}

// open is what NewRPCClientDriver does: GetVersion (must be 1), then heartbeats every 5 s; then SetConfigRaw and
// GetMachineName as host loading does.
func (p *plugin) open(config []byte) {
	var version int
	p.mustCall("GetVersion", struct{}{}, &version)
	if version != 1 {
		p.kill()
		finish(1, fmt.Errorf("%s: incompatible API version %d", p.label, version))
	}
	p.hbStop = make(chan struct{})
	p.hbDone = make(chan struct{})
	go func() {
		defer close(p.hbDone)
		t := time.NewTicker(heartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-p.hbStop:
				return
			case <-t.C:
				if err := p.client.Call("RPCServerDriver.Heartbeat", struct{}{}, nil); err != nil {
					logf("Wrapper Docker Machine process exiting due to closed plugin server (%v)", err)
					return
				}
				res.mu.Lock()
				res.Heartbeats++
				res.mu.Unlock()
			}
		}
	}()
	p.mustCall("SetConfigRaw", config, &struct{}{})
	var name string
	p.mustCall("GetMachineName", struct{}{}, &name)
	p.nameMu.Lock()
	p.name = name
	p.nameMu.Unlock()
}

// close sends .Close (a Go plugin may exit before answering, so an error is only logged, as rancher-machine does)
// and then checks that the process really ends: one that lingers would pile up in Rancher's pods.
func (p *plugin) close() error {
	var err error
	p.closeOnce.Do(func() {
		if p.hbStop != nil {
			close(p.hbStop)
			<-p.hbDone
		}
		if cerr := p.call("Close", struct{}{}, &struct{}{}); cerr != nil {
			logf("%s: Close: %v (tolerated)", p.label, cerr)
		}
		_ = p.client.Close()
		select {
		case <-p.exited:
		case <-time.After(closeExitTimeout):
			_ = p.cmd.Process.Kill()
			err = fmt.Errorf("%s: the plugin was still running %v after .Close", p.label, closeExitTimeout)
		}
	})
	return err
}

func (p *plugin) kill() {
	if p.hbStop != nil {
		select {
		case <-p.hbStop:
		default:
			close(p.hbStop)
		}
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (p *plugin) closeOrFail() {
	if err := p.close(); err != nil {
		finish(1, err)
	}
}

// ---- Rancher's schema mapping (§9.2, §9.5) ------------------------------------------------------------------------

type schemaField struct {
	Flag    string `json:"flag"`
	Field   string `json:"field"`
	Type    string `json:"type"`
	Default string `json:"default"`
	Back    string `json:"back"`
	EnvVar  string `json:"envVar"`
}

// toLowerCamelCase is nodedriver's: drop everything up to the first "-", camel-case the rest.
func toLowerCamelCase(name string) (string, error) {
	parts := strings.SplitN(name, "-", 2)
	if len(parts) != 2 {
		return "", fmt.Errorf("parameter %s does not follow expected naming convention [DRIVER]-[FLAG-NAME]", name)
	}
	words := strings.Split(parts[1], "-")
	out := ""
	for i, w := range words {
		if w == "" {
			return "", fmt.Errorf("flag %s has an empty part: Rancher's ToLowerCamelCase would panic on it", name)
		}
		if i == 0 {
			out += w
		} else {
			out += strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return out, nil
}

var camelBoundary = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// fieldToFlag is machineprovision's way back from a schema field to a CLI flag (without the leading "--").
func fieldToFlag(driver, field string) string {
	return driver + "-" + strings.ToLower(camelBoundary.ReplaceAllString(field, "${1}-${2}"))
}

// credentialEnv is the env var the v2 job sets for a cloud-credential key `<driver>credentialConfig-<field>`.
func credentialEnv(driver, field string) string {
	return strings.ToUpper(driver + "_" + camelBoundary.ReplaceAllString(field, "${1}_${2}"))
}

func flagToField(f Flag) (schemaField, error) {
	field, err := toLowerCamelCase(f.FlagName())
	if err != nil {
		return schemaField{}, err
	}
	sf := schemaField{Flag: f.FlagName(), Field: field, EnvVar: envVarOf(f)}
	switch x := f.(type) {
	case *StringFlag:
		sf.Type, sf.Default = "string", x.Value
	case *IntFlag:
		sf.Type, sf.Default = "string", strconv.Itoa(x.Value)
	case *BoolFlag:
		sf.Type = "boolean"
	case *StringSliceFlag:
		sf.Type = "array[string]"
		b, _ := json.Marshal(x.Value)
		sf.Default = string(b)
	default:
		return schemaField{}, fmt.Errorf("unknown type of flag %v", f)
	}
	return sf, nil
}

func cmdIntrospect(driver string) {
	res.Command = "introspect"
	p, err := startPlugin("introspect", driver)
	if err != nil {
		finish(1, err)
	}
	var flags []Flag
	// One call on a fresh connection: no GetVersion, no heartbeat, no Close (nodedriver/utils.go).
	if err := p.call("GetCreateFlags", struct{}{}, &flags); err != nil {
		p.kill()
		finish(1, fmt.Errorf("GetCreateFlags: %v", err))
	}
	_ = p.client.Close()

	var problems []string
	seen := map[string]string{}
	for _, f := range flags {
		sf, err := flagToField(f)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		sf.Back = fieldToFlag(driver, sf.Field)
		res.Fields = append(res.Fields, sf)
		if sf.Back != f.FlagName() {
			problems = append(problems, fmt.Sprintf("flag %s becomes field %s, which Rancher passes back as --%s",
				f.FlagName(), sf.Field, sf.Back))
		}
		if prev, dup := seen[sf.Field]; dup {
			problems = append(problems, fmt.Sprintf("flags %s and %s map to the same field %s", prev, f.FlagName(), sf.Field))
		}
		seen[sf.Field] = f.FlagName()
		if sf.EnvVar == "" {
			problems = append(problems, fmt.Sprintf("flag %s has no EnvVar", f.FlagName()))
		}
		if x, isInt := f.(*IntFlag); isInt {
			// The schema keeps ints as strings; the job passes them back as text that the CLI parses again.
			if n, err := strconv.Atoi(sf.Default); err != nil || n != x.Value {
				problems = append(problems, fmt.Sprintf("int flag %s default %d does not survive as %q", f.FlagName(), x.Value, sf.Default))
			}
		}
	}
	for _, cf := range credentialFields {
		name, found := seen[cf]
		if !found {
			problems = append(problems, fmt.Sprintf("credential field %s has no flag", cf))
			continue
		}
		want := credentialEnv(driver, cf)
		for _, sf := range res.Fields {
			if sf.Flag == name && sf.EnvVar != want {
				problems = append(problems, fmt.Sprintf("credential flag %s has EnvVar %q; the job only sets %s", name, sf.EnvVar, want))
			}
		}
	}
	if len(flags) == 0 {
		problems = append(problems, "GetCreateFlags returned no flags")
	}

	// The plugin is left alone now; its own watchdog must end it about 10 s after it started.
	select {
	case <-p.exited:
	case <-time.After(maxExit + 3*time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		problems = append(problems, fmt.Sprintf("the plugin did not exit by itself within %v", maxExit+3*time.Second))
	}
	after := time.Since(p.addrAt)
	res.ExitAfterMs = after.Milliseconds()
	if after < minExit || after > maxExit {
		problems = append(problems, fmt.Sprintf("the plugin exited %v after its address, outside [%v, %v]", after.Round(time.Millisecond), minExit, maxExit))
	}
	if len(problems) > 0 {
		finish(1, fmt.Errorf("introspection: %s", strings.Join(problems, "; ")))
	}
	logf("introspection: %d flags map to Rancher fields and back; plugin exited after %v", len(flags), after.Round(time.Millisecond))
	finish(0, nil)
}

// ---- the create command line (urfave/cli v1.11 as rancher-machine pins it) ----------------------------------------

type cliFlag struct {
	name   string
	kind   string // string | int | bool | slice
	def    interface{}
	envVar string
}

// rancher-machine's own create flags (commands/create.go, master). Slices are listed so they parse; unset, they are
// not sent, like the pinned urfave/cli does.
var machineCreateFlags = []cliFlag{
	{name: "driver", kind: "string", def: "virtualbox"},
	{name: "engine-install-url", kind: "string", def: "https://get.docker.com"},
	{name: "engine-opt", kind: "slice"},
	{name: "engine-insecure-registry", kind: "slice"},
	{name: "engine-registry-mirror", kind: "slice"},
	{name: "engine-label", kind: "slice"},
	{name: "engine-storage-driver", kind: "string", def: ""},
	{name: "engine-env", kind: "slice"},
	{name: "swarm", kind: "bool"},
	{name: "swarm-image", kind: "string", def: "swarm:latest"},
	{name: "swarm-master", kind: "bool"},
	{name: "swarm-discovery", kind: "string", def: ""},
	{name: "swarm-strategy", kind: "string", def: "spread"},
	{name: "swarm-opt", kind: "slice"},
	{name: "swarm-join-opt", kind: "slice"},
	{name: "swarm-host", kind: "string", def: "tcp://0.0.0.0:3376"},
	{name: "swarm-addr", kind: "string", def: ""},
	{name: "swarm-experimental", kind: "bool"},
	{name: "tls-san", kind: "slice"},
	{name: "custom-install-script", kind: "string", def: ""},
	{name: "hostname-override", kind: "string", def: ""},
}

func driverCLIFlags(flags []Flag) []cliFlag {
	var out []cliFlag
	for _, f := range flags {
		switch x := f.(type) {
		case *StringFlag:
			out = append(out, cliFlag{name: x.Name, kind: "string", def: x.Value, envVar: x.EnvVar})
		case *IntFlag:
			out = append(out, cliFlag{name: x.Name, kind: "int", def: x.Value, envVar: x.EnvVar})
		case *BoolFlag:
			out = append(out, cliFlag{name: x.Name, kind: "bool", envVar: x.EnvVar})
		case *StringSliceFlag:
			out = append(out, cliFlag{name: x.Name, kind: "slice", envVar: x.EnvVar})
		}
	}
	return out
}

// parseCreateArgs returns the flags given, by name, and the positional arguments. Values are raw strings; a bool
// given bare is "true". Unknown flags fail as urfave/cli fails them.
func parseCreateArgs(args []string, known []cliFlag) (map[string][]string, []string, error) {
	byName := map[string]cliFlag{}
	for _, f := range known {
		byName[f.name] = f
	}
	given := map[string][]string{}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if eq := strings.Index(name, "="); eq >= 0 {
			name, value, hasValue = name[:eq], name[eq+1:], true
		}
		if name == "d" {
			name = "driver"
		}
		f, found := byName[name]
		if !found {
			return nil, nil, fmt.Errorf("flag provided but not defined: -%s", name)
		}
		if f.kind == "bool" {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("flag needs an argument: -%s", name)
			}
			i++
			value = args[i]
		}
		given[name] = append(given[name], value)
	}
	return given, positional, nil
}

// cliValue is urfave/cli's getter.Get(): the command-line value, else the EnvVar's, else the default; ok=false for
// a slice flag that was not set (the pinned urfave/cli leaves it out).
func cliValue(f cliFlag, given map[string][]string) (interface{}, bool, error) {
	vals, set := given[f.name]
	if !set && f.envVar != "" {
		if env, found := os.LookupEnv(f.envVar); found && env != "" {
			set = true
			if f.kind == "slice" {
				vals = strings.Split(env, ",")
			} else {
				vals = []string{env}
			}
		}
	}
	last := ""
	if len(vals) > 0 {
		last = vals[len(vals)-1]
	}
	switch f.kind {
	case "string":
		if !set {
			return f.def, true, nil
		}
		return last, true, nil
	case "int":
		if !set {
			return f.def, true, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(last))
		if err != nil {
			return nil, false, fmt.Errorf("invalid value %q for flag -%s: %v", last, f.name, err)
		}
		return n, true, nil
	case "bool":
		if !set {
			return false, true, nil
		}
		b, err := strconv.ParseBool(last)
		if err != nil {
			return nil, false, fmt.Errorf("invalid boolean value %q for flag -%s", last, f.name)
		}
		return b, true, nil
	case "slice":
		if !set {
			return nil, false, nil
		}
		return append([]string{}, vals...), true, nil
	}
	return nil, false, fmt.Errorf("flag %s: unknown kind %s", f.name, f.kind)
}

// userdataFlag is drivers.DriverUserdataFlag: the first flag, in GetCreateFlags order, that looks like user data.
func userdataFlag(flags []Flag) string {
	for _, f := range flags {
		n := f.FlagName()
		for _, s := range []string{"user-data", "userdata", "custom-data", "cloud-config"} {
			if strings.Contains(n, s) {
				return n
			}
		}
	}
	return ""
}

// osFlag is drivers.DriverOSFlag: the first flag ending in "-os".
func osFlag(flags []Flag) string {
	for _, f := range flags {
		if strings.HasSuffix(f.FlagName(), "-os") {
			return f.FlagName()
		}
	}
	return ""
}

// writeModifiedUserData is updateUserdataFile for a Linux node: it reads the existing user data as a file path
// (empty: start from "#cloud-config"), merges the install script into it (gzip+base64 in write_files, run by
// runcmd, hostname set unless present) and writes the result to $TMPDIR/modified-user-data*. User data that starts
// with "#!" is joined with the script; "#cloud-config" is merged as YAML, which this stand-in (standard library
// only) reads for block-style top-level keys only (see mergeCloudConfig); anything else fails with the real
// program's message.
func writeModifiedUserData(existingPath, scriptPath, hostname string) (string, error) {
	existing := []byte("#cloud-config")
	if existingPath != "" {
		b, err := os.ReadFile(existingPath)
		if err != nil {
			return "", err
		}
		existing = b
	}
	script, err := os.ReadFile(scriptPath)
	if err != nil {
		return "", err
	}
	script = stripShebang(script)
	var entries []cloudConfigEntry
	switch {
	case bytes.HasPrefix(existing, []byte("#!")):
		script = bytes.Join([][]byte{stripShebang(existing), script}, []byte("\n\n"))
	case bytes.HasPrefix(existing, []byte("#cloud-config")):
		if entries, err = parseCloudConfig(string(existing)); err != nil {
			return "", err
		}
	default:
		return "", errors.New("existing userdata file does not begin with '#!' or '#cloud-config'")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(script); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	doc, err := mergeCloudConfig(entries, hostname, base64.StdEncoding.EncodeToString(gz.Bytes()))
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "modified-user-data")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.WriteString(doc); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// stripShebang drops a first line that starts with "#!", as rancher-machine's `^#!.*\n` does.
func stripShebang(b []byte) []byte {
	if !bytes.HasPrefix(b, []byte("#!")) {
		return b
	}
	if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
		return b[nl+1:]
	}
	return b
}

// cloudConfigEntry is one top-level key of a cloud-config: its inline value and the lines under it, verbatim.
type cloudConfigEntry struct {
	key    string
	inline string
	body   []string
}

var topLevelKey = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*))?$`)

// parseCloudConfig splits a cloud-config into its top-level keys. Comments and blank lines between keys are dropped
// (as yaml.Unmarshal + Marshal drop them); a line at column 0 that is no "key:" is refused, since without a YAML
// parser the stand-in cannot know what it means.
func parseCloudConfig(doc string) ([]cloudConfigEntry, error) {
	var entries []cloudConfigEntry
	seen := map[string]bool{}
	for i, line := range strings.Split(doc, "\n") {
		if i == 0 {
			continue // the #cloud-config header
		}
		if len(entries) > 0 && (line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '-') {
			last := &entries[len(entries)-1]
			last.body = append(last.body, line)
			continue
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := topLevelKey.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("this stand-in reads block-style cloud-config only; line %d is %q", i+1, truncate(line, 80))
		}
		if seen[m[1]] {
			return nil, fmt.Errorf("yaml: mapping key %q already defined", m[1])
		}
		seen[m[1]] = true
		entries = append(entries, cloudConfigEntry{key: m[1], inline: strings.TrimSpace(m[2])})
	}
	for i := range entries {
		for len(entries[i].body) > 0 && strings.TrimSpace(entries[i].body[len(entries[i].body)-1]) == "" {
			entries[i].body = entries[i].body[:len(entries[i].body)-1]
		}
	}
	return entries, nil
}

// appendToList is appendValueToListInCloudConfig: item (lines of one sequence entry, "- " at column 0) goes at the
// end of the list under key, which is created when absent; a key holding anything but a list is an error.
func appendToList(entries []cloudConfigEntry, key string, item []string) ([]cloudConfigEntry, error) {
	for i := range entries {
		e := &entries[i]
		if e.key != key {
			continue
		}
		if strings.HasPrefix(e.inline, "[") && e.inline != "[]" {
			return nil, fmt.Errorf("this stand-in cannot append to the flow-style list %s: %s", key, e.inline)
		}
		if e.inline != "" && e.inline != "[]" {
			return nil, fmt.Errorf("unable to get %s from cloud-config YAML", key)
		}
		indent := ""
		for _, l := range e.body {
			if t := strings.TrimLeft(l, " "); t != "" {
				if !strings.HasPrefix(t, "- ") && t != "-" {
					return nil, fmt.Errorf("unable to get %s from cloud-config YAML", key)
				}
				indent = l[:len(l)-len(t)]
				break
			}
		}
		e.inline = ""
		for _, l := range item {
			e.body = append(e.body, indent+l)
		}
		return entries, nil
	}
	return append(entries, cloudConfigEntry{key: key, body: item}), nil
}

// mergeCloudConfig is writeCloudConfig + commonCloudConfig for Linux, written out the way yaml.Marshal does: keys
// sorted, the new entries in its style.
func mergeCloudConfig(entries []cloudConfigEntry, hostname, encodedScript string) (string, error) {
	hasHostname := false
	for _, e := range entries {
		hasHostname = hasHostname || e.key == "hostname"
	}
	if !hasHostname {
		entries = append(entries, cloudConfigEntry{key: "hostname", inline: yamlScalar(hostname)})
	}
	var err error
	entries, err = appendToList(entries, "write_files", []string{
		"- content: " + encodedScript,
		"  encoding: gzip+b64",
		"  path: /usr/local/custom_script/install.sh",
		"  permissions: \"0644\"",
	})
	if err != nil {
		return "", err
	}
	if entries, err = appendToList(entries, "runcmd", []string{"- sh /usr/local/custom_script/install.sh"}); err != nil {
		return "", err
	}
	sort.Slice(entries, func(a, b int) bool { return entries[a].key < entries[b].key })
	var out strings.Builder
	out.WriteString("#cloud-config\n")
	for _, e := range entries {
		if e.inline != "" {
			out.WriteString(e.key + ": " + e.inline + "\n")
		} else {
			out.WriteString(e.key + ":\n")
		}
		for _, l := range e.body {
			out.WriteString(l + "\n")
		}
	}
	return out.String(), nil
}

var plainScalar = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func yamlScalar(s string) string {
	if plainScalar.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

// ---- the host store (libmachine/persist) --------------------------------------------------------------------------

func hostDir(name string) string { return filepath.Join(storagePath, "machines", name) }

// saveHost writes config.json as rancher-machine does: the driver's GetConfigRaw JSON under "Driver".
func saveHost(name, driver string, raw []byte) error {
	if !json.Valid(raw) {
		return fmt.Errorf("GetConfigRaw returned invalid JSON: %q", truncate(string(raw), 200))
	}
	host := map[string]interface{}{
		"ConfigVersion": 3,
		"Driver":        json.RawMessage(raw),
		"DriverName":    driver,
		"HostOptions": map[string]interface{}{
			"Driver": "", "Memory": 0, "Disk": 0,
			"AuthOptions": map[string]interface{}{"StorePath": hostDir(name)},
		},
		"Name": name,
	}
	b, err := json.MarshalIndent(host, "", "    ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(hostDir(name), 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(hostDir(name), "config.json"), b, 0o600)
}

func loadHost(name string) (driver string, raw []byte, err error) {
	b, err := os.ReadFile(filepath.Join(hostDir(name), "config.json"))
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil, fmt.Errorf("Host does not exist: %q", name)
		}
		return "", nil, err
	}
	var host struct {
		Driver     json.RawMessage
		DriverName string
	}
	if err := json.Unmarshal(b, &host); err != nil {
		return "", nil, fmt.Errorf("config.json of %s: %v", name, err)
	}
	return host.DriverName, host.Driver, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ---- commands ----------------------------------------------------------------------------------------------------

// loadDriverFlags is withDriverFlags: a throwaway instance named temp-driver-loader tells which flags to parse.
func loadDriverFlags(driver string) []Flag {
	p, err := startPlugin("loader", driver)
	if err != nil {
		finish(1, err)
	}
	raw, _ := json.Marshal(&BaseDriver{MachineName: "temp-driver-loader"})
	p.open(raw)
	if got := p.machineName(); got != "temp-driver-loader" {
		p.kill()
		finish(1, fmt.Errorf("loader: GetMachineName = %q, want temp-driver-loader", got))
	}
	var flags []Flag
	p.mustCall("GetCreateFlags", struct{}{}, &flags)
	var name string
	p.mustCall("DriverName", struct{}{}, &name)
	if name != driver {
		p.kill()
		finish(1, fmt.Errorf("loader: DriverName = %q, want %q", name, driver))
	}
	p.closeOrFail()
	return flags
}

func flagNames(flags []Flag) string {
	var names []string
	for _, f := range flags {
		names = append(names, f.FlagName())
	}
	return strings.Join(names, ",")
}

// killOnSignal plays the job pod being deleted mid-way (SIGUSR1 from the test): the plugin is killed outright,
// with no Close and no chance to roll back, and so is this process.
func killOnSignal(p *plugin) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	go func() {
		<-ch
		killing.Store(true)
		_ = p.cmd.Process.Kill()
		<-p.exited
		finish(137, errors.New("killed while the driver was working, as when Rancher deletes the job pod"))
	}()
}

func cmdCreate(args []string) {
	res.Command = "create"
	// First pass, as rancher-machine's: only --driver matters until the driver's flags are known.
	driver := driverArg(args)
	if driver == "" {
		finish(1, errors.New("create: --driver is required"))
	}
	driverFlags := loadDriverFlags(driver)

	known := append(append([]cliFlag{}, machineCreateFlags...), driverCLIFlags(driverFlags)...)
	given, positional, err := parseCreateArgs(args, known)
	if err != nil {
		finish(1, err)
	}
	if len(positional) != 1 {
		finish(1, fmt.Errorf("create: exactly one machine name expected, got %q", positional))
	}
	name := positional[0]
	if _, err := os.Stat(filepath.Join(hostDir(name), "config.json")); err == nil {
		finish(1, fmt.Errorf("Host already exists: %q", name))
	}

	p, err := startPlugin("main", driver)
	if err != nil {
		finish(1, err)
	}
	killOnSignal(p)
	raw, _ := json.Marshal(&BaseDriver{MachineName: name, StorePath: storagePath})
	p.open(raw)
	if got := p.machineName(); got != name {
		p.kill()
		finish(1, fmt.Errorf("GetMachineName = %q, want %q", got, name))
	}
	var dn string
	p.mustCall("DriverName", struct{}{}, &dn)

	// getDriverOpts, DriverUserdataFlag and DriverOSFlag each ask for the flags again; the answers must agree.
	var flags, flags2, flags3 []Flag
	p.mustCall("GetCreateFlags", struct{}{}, &flags)
	p.mustCall("GetCreateFlags", struct{}{}, &flags2)
	p.mustCall("GetCreateFlags", struct{}{}, &flags3)
	if a, b, c, l := flagNames(flags), flagNames(flags2), flagNames(flags3), flagNames(driverFlags); a != b || a != c || a != l {
		p.kill()
		finish(1, errors.New("GetCreateFlags answered differently across calls"))
	}

	values := map[string]interface{}{}
	for _, f := range flags {
		values[f.FlagName()] = defaultOf(f)
	}
	for _, f := range known {
		v, ok, err := cliValue(f, given)
		if err != nil {
			p.kill()
			finish(1, err)
		}
		if ok {
			values[f.name] = v
		}
	}

	udFlag := userdataFlag(flags2)
	if f := osFlag(flags3); f != "" {
		res.Info["osFlag"] = f
	}
	script, _ := values["custom-install-script"].(string)
	if script != "" && udFlag != "" {
		hostname, _ := values["hostname-override"].(string)
		if hostname == "" {
			hostname = name
		}
		existing, _ := values[udFlag].(string)
		path, err := writeModifiedUserData(existing, script, hostname)
		if err != nil {
			p.kill()
			finish(1, fmt.Errorf("could not alter cloud-init file: %v", err))
		}
		values[udFlag] = path
		res.UserDataFile = path
		res.Info["userDataFlag"] = udFlag
	}
	res.Values = map[string]string{}
	for k, v := range values {
		res.Values[k] = fmt.Sprintf("%T", v)
	}

	var opts DriverOptions = &RPCFlags{Values: values}
	if err := p.call("SetConfigFromFlags", &opts, &struct{}{}); err != nil {
		p.kill()
		finish(1, fmt.Errorf("Error setting machine configuration from flags provided: %v", err))
	}

	logf("Running pre-create checks...")
	if err := p.call("PreCreateCheck", struct{}{}, &struct{}{}); err != nil {
		_ = p.close()
		finish(3, fmt.Errorf("Error with pre-create check: %q", err.Error()))
	}
	save := func() {
		var cfg []byte
		p.mustCall("GetConfigRaw", struct{}{}, &cfg)
		if err := saveHost(name, driver, cfg); err != nil {
			p.kill()
			finish(1, fmt.Errorf("Error saving host to store: %v", err))
		}
	}
	save()
	logf("Creating machine...")
	if err := p.call("Create", struct{}{}, &struct{}{}); err != nil {
		_ = p.close()
		finish(1, fmt.Errorf("Error creating machine: Error in driver during machine creation: %v", err))
	}
	save()
	p.mustCall("DriverName", struct{}{}, &dn)

	logf("Waiting for machine to be running, this may take a few minutes...")
	st := -1
	for try := 0; try < stateTries; try++ {
		if err := p.call("GetState", struct{}{}, &st); err != nil {
			st = 7
		}
		if st == stateRunning {
			break
		}
		time.Sleep(stateInterval)
	}
	res.State = stateName(st)
	if st != stateRunning {
		_ = p.close()
		finish(1, fmt.Errorf("Error creating machine: Maximum number of retries (%d) exceeded; last state %q", stateTries, stateName(st)))
	}
	if script != "" && udFlag != "" {
		logf("Custom install script was sent via userdata, provisioning complete...")
	}
	// What the SSH provisioning path (and `ls`, `ip`, `url`) ask; every answer must be usable.
	info := func(method string) {
		var s string
		p.mustCall(method, struct{}{}, &s)
		res.Info[method] = s
	}
	info("GetIP")
	info("GetSSHHostname")
	var port int
	p.mustCall("GetSSHPort", struct{}{}, &port)
	res.Info["GetSSHPort"] = strconv.Itoa(port)
	info("GetSSHUsername")
	info("GetSSHKeyPath")
	info("GetURL")
	p.closeOrFail()
	logf("Machine %s is running", name)
	finish(0, nil)
}

// driverArg is the first pass over the create arguments: only --driver (-d) matters until the driver's flags are
// known, as in withDriverFlags.
func driverArg(args []string) string {
	driver := ""
	for i, a := range args {
		n := strings.TrimLeft(a, "-")
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if strings.HasPrefix(n, "driver=") || strings.HasPrefix(n, "d=") {
			driver = n[strings.Index(n, "=")+1:]
		} else if (n == "driver" || n == "d") && i+1 < len(args) {
			driver = args[i+1]
		}
	}
	return driver
}

func loadedInstance(label, name string) (*plugin, string) {
	driver, raw, err := loadHost(name)
	if err != nil {
		finish(1, err)
	}
	p, err := startPlugin(label, driver)
	if err != nil {
		finish(1, err)
	}
	p.open(raw)
	if got := p.machineName(); got != name {
		p.kill()
		finish(1, fmt.Errorf("GetMachineName = %q, want %q", got, name))
	}
	return p, driver
}

func cmdRm(args []string) {
	res.Command = "rm"
	updateConfig := false
	var names []string
	for _, a := range args {
		switch a {
		case "-y", "--y", "-f", "--force":
		case "--update-config":
			updateConfig = true
		default:
			if strings.HasPrefix(a, "-") {
				finish(1, fmt.Errorf("flag provided but not defined: %s", a))
			}
			names = append(names, a)
		}
	}
	if len(names) != 1 {
		finish(1, fmt.Errorf("rm: exactly one machine name expected, got %q", names))
	}
	name := names[0]
	if updateConfig {
		// --update-config loads the driver's flags first so that --<driver>-* and their env vars would parse.
		driver, _, err := loadHost(name)
		if err != nil {
			finish(1, err)
		}
		loadDriverFlags(driver)
	}
	p, _ := loadedInstance("rm", name)
	logf("About to remove %s", name)
	if err := p.call("Remove", struct{}{}, &struct{}{}); err != nil {
		if !strings.Contains(strings.ToLower(err.Error()), "not found") {
			_ = p.close()
			finish(1, fmt.Errorf("Error removing host %q: %v", name, err))
		}
		logf("Remove reported %q; the machine is gone, which is what was asked", err.Error())
		res.Info["removeError"] = err.Error()
	}
	p.closeOrFail()
	if err := os.RemoveAll(hostDir(name)); err != nil {
		finish(1, err)
	}
	logf("Successfully removed %s", name)
	finish(0, nil)
}

func cmdStatus(args []string) {
	res.Command = "status"
	if len(args) != 1 {
		finish(1, errors.New("status: exactly one machine name expected"))
	}
	p, _ := loadedInstance("status", args[0])
	var st int
	if err := p.call("GetState", struct{}{}, &st); err != nil {
		_ = p.close()
		finish(1, fmt.Errorf("Error getting state for host %s: %v", args[0], err))
	}
	res.State = stateName(st)
	p.closeOrFail()
	logf("%s", stateName(st))
	finish(0, nil)
}

// cmdIP is `rancher-machine ip` (commands.go printIP): the driver's GetIP, else its GetIPv6, printed on one line.
func cmdIP(args []string) {
	res.Command = "ip"
	if len(args) != 1 {
		finish(1, errors.New("ip: exactly one machine name expected"))
	}
	p, _ := loadedInstance("ip", args[0])
	var ip string
	if err := p.call("GetIP", struct{}{}, &ip); err != nil {
		logf("Error getting IPv4 address: %s", err)
		if err6 := p.call("GetIPv6", struct{}{}, &ip); err6 != nil {
			_ = p.close()
			finish(1, fmt.Errorf("error getting IPv6 address: %s", err6))
		}
	}
	res.Info["ip"] = ip
	p.closeOrFail()
	logf("%s", ip)
	finish(0, nil)
}

func main() {
	args := os.Args[1:]
	res.Args = append([]string{}, args...)
	driverForIntrospection := "hetzner"
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		name := strings.TrimPrefix(args[0], "--")
		value := ""
		if eq := strings.Index(name, "="); eq >= 0 {
			name, value = name[:eq], name[eq+1:]
			args = args[1:]
		} else if name == "debug" {
			args = args[1:]
			continue
		} else if len(args) > 1 {
			value, args = args[1], args[2:]
		} else {
			finish(1, fmt.Errorf("flag needs an argument: --%s", name))
		}
		var err error
		switch name {
		case "plugin-json":
			err = json.Unmarshal([]byte(value), &pluginCmd)
		case "storage-path", "s":
			storagePath = value
		case "state-interval":
			stateInterval, err = time.ParseDuration(value)
		case "credential-fields":
			credentialFields = strings.Split(value, ",")
		case "min-exit":
			minExit, err = time.ParseDuration(value)
		case "max-exit":
			maxExit, err = time.ParseDuration(value)
		case "driver-name":
			driverForIntrospection = value
		case "secret-namespace", "secret-name", "kubeconfig":
			// rancher-machine keeps the store in that Kubernetes secret; the stand-in keeps it in --storage-path.
			res.Info[name] = value
		default:
			err = fmt.Errorf("unknown global flag --%s", name)
		}
		if err != nil {
			finish(1, fmt.Errorf("--%s: %v", name, err))
		}
	}
	if len(args) == 0 {
		finish(1, errors.New("usage: machine [--plugin-json J] [--storage-path S] introspect|create|rm|status|ip …"))
	}
	switch args[0] {
	case "introspect":
		cmdIntrospect(driverForIntrospection)
	case "create":
		cmdCreate(args[1:])
	case "rm":
		cmdRm(args[1:])
	case "status":
		cmdStatus(args[1:])
	case "ip":
		cmdIP(args[1:])
	default:
		finish(1, fmt.Errorf("unknown command %q", args[0]))
	}
}
