// goplugin is a docker-machine driver plugin written against Go's standard library alone: the same wire contract
// as libmachine's plugin server (gob-registered mcnflag and RPCFlags types, net/rpc over HTTP CONNECT under both
// service names, the address as the first stdout line, a 10-second heartbeat watchdog, exit 0 on Close). Our
// TypeScript client drives it through every method to prove it speaks to real Go.
//
// GetConfigRaw reports, besides the JSON config it was given, the Go type and value of every SetConfigFromFlags
// entry as Go decoded it ("Flags": {"name": {"type": "int", "value": 22}}), so the client can check its encoding.
// GOPLUGIN_CREATE_DELAY_MS makes Create slow.
package main

import (
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/rpc"
	"os"
	"strconv"
	"sync"
	"time"
)

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

type DriverOptions interface{ Get(key string) interface{} }
type RPCFlags struct{ Values map[string]interface{} }

func (r *RPCFlags) Get(key string) interface{} { return r.Values[key] }

type FlagSeen struct {
	Type  string      `json:"type"`
	Value interface{} `json:"value"`
}

// Driver is the RPC service; method signatures follow libmachine's RPCServerDriver.
type Driver struct {
	mu          sync.Mutex
	config      map[string]interface{}
	flags       map[string]FlagSeen
	heartbeatCh chan struct{}
	closeCh     chan struct{}
	createDelay time.Duration
}

func (d *Driver) GetVersion(_ *struct{}, reply *int) error { *reply = 1; return nil }

func (d *Driver) SetConfigRaw(data []byte, _ *struct{}) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cfg := map[string]interface{}{}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return err
	}
	d.config = cfg
	return nil
}

func (d *Driver) GetConfigRaw(_ *struct{}, reply *[]byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]interface{}{}
	for k, v := range d.config {
		out[k] = v
	}
	out["Flags"] = d.flags
	data, err := json.Marshal(out)
	*reply = data
	return err
}

func (d *Driver) GetCreateFlags(_ *struct{}, reply *[]Flag) error {
	*reply = []Flag{
		&StringFlag{Name: "goplugin-api-token", Usage: "API token", EnvVar: "GOPLUGIN_API_TOKEN"},
		&StringFlag{Name: "goplugin-image", Usage: "Image", EnvVar: "GOPLUGIN_IMAGE", Value: "debian-12"},
		&IntFlag{Name: "goplugin-disk-size", Usage: "Disk size in GB", Value: 40},
		&IntFlag{Name: "goplugin-zero", Usage: "Zero default"},
		&StringSliceFlag{Name: "goplugin-networks", Usage: "Networks", EnvVar: "GOPLUGIN_NETWORKS", Value: []string{"n1", "n2"}},
		&StringSliceFlag{Name: "goplugin-labels", Usage: "Labels"},
		&BoolFlag{Name: "goplugin-private", Usage: "Private network only", EnvVar: "GOPLUGIN_PRIVATE"},
	}
	return nil
}

func (d *Driver) SetConfigFromFlags(opts *DriverOptions, _ *struct{}) error {
	flags, isRPCFlags := (*opts).(*RPCFlags)
	if !isRPCFlags {
		return fmt.Errorf("unexpected DriverOptions type %T", *opts)
	}
	seen := map[string]FlagSeen{}
	for k, v := range flags.Values {
		typ := fmt.Sprintf("%T", v)
		if s, isSlice := v.([]string); isSlice && s == nil {
			typ = "[]string(nil)"
		}
		seen[k] = FlagSeen{Type: typ, Value: v}
	}
	d.mu.Lock()
	d.flags = seen
	d.mu.Unlock()
	return nil
}

func (d *Driver) str(key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, _ := d.config[key].(string)
	return s
}

func (d *Driver) DriverName(_ *struct{}, reply *string) error { *reply = "goplugin"; return nil }
func (d *Driver) GetMachineName(_ *struct{}, reply *string) error {
	*reply = d.str("MachineName")
	return nil
}
func (d *Driver) GetIP(_ *struct{}, reply *string) error { *reply = "198.51.100.7"; return nil }
func (d *Driver) GetIPv6(_ *struct{}, reply *string) error {
	return errors.New("IPv6 address is not set")
}
func (d *Driver) GetSSHHostname(_ *struct{}, reply *string) error {
	*reply = "198.51.100.7"
	return nil
}
func (d *Driver) GetSSHKeyPath(_ *struct{}, reply *string) error {
	*reply = d.str("StorePath") + "/machines/" + d.str("MachineName") + "/id_rsa"
	return nil
}
func (d *Driver) GetSSHPort(_ *struct{}, reply *int) error        { *reply = 22; return nil }
func (d *Driver) GetSSHUsername(_ *struct{}, reply *string) error { *reply = "root"; return nil }
func (d *Driver) GetURL(_ *struct{}, reply *string) error {
	*reply = "tcp://198.51.100.7:2376"
	return nil
}
func (d *Driver) GetState(_ *struct{}, reply *int) error        { *reply = 4; return nil } // Stopped
func (d *Driver) PreCreateCheck(_ *struct{}, _ *struct{}) error { return nil }
func (d *Driver) Create(_ *struct{}, _ *struct{}) error {
	time.Sleep(d.createDelay)
	return nil
}
func (d *Driver) Remove(_ *struct{}, _ *struct{}) error  { return nil }
func (d *Driver) Start(_ *struct{}, _ *struct{}) error   { return nil }
func (d *Driver) Stop(_ *struct{}, _ *struct{}) error    { return nil }
func (d *Driver) Restart(_ *struct{}, _ *struct{}) error { return nil }
func (d *Driver) Kill(_ *struct{}, _ *struct{}) error {
	return errors.New("goplugin: kill not supported")
}
func (d *Driver) Heartbeat(_ *struct{}, _ *struct{}) error {
	d.heartbeatCh <- struct{}{}
	return nil
}
func (d *Driver) Close(_ *struct{}, _ *struct{}) error {
	d.closeCh <- struct{}{}
	return nil
}

func main() {
	if os.Getenv("MACHINE_PLUGIN_TOKEN") != "42" {
		fmt.Fprintln(os.Stderr, "This is a Docker Machine plugin binary.\nPlugin binaries are not intended to be invoked directly.\nPlease use this plugin through the main 'docker-machine' binary.\n(API version: 1)")
		os.Exit(1)
	}
	gob.RegisterName("*mcnflag.StringFlag", &StringFlag{})
	gob.RegisterName("*mcnflag.IntFlag", &IntFlag{})
	gob.RegisterName("*mcnflag.StringSliceFlag", &StringSliceFlag{})
	gob.RegisterName("*mcnflag.BoolFlag", &BoolFlag{})
	gob.RegisterName("*rpcdriver.RPCFlags", &RPCFlags{})

	delayMs, _ := strconv.Atoi(os.Getenv("GOPLUGIN_CREATE_DELAY_MS"))
	d := &Driver{
		config:      map[string]interface{}{},
		flags:       map[string]FlagSeen{},
		heartbeatCh: make(chan struct{}, 1),
		closeCh:     make(chan struct{}, 1),
		createDelay: time.Duration(delayMs) * time.Millisecond,
	}
	for _, name := range []string{"RpcServerDriver", "RPCServerDriver"} {
		if err := rpc.RegisterName(name, d); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	rpc.HandleHTTP()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(l.Addr())
	go func() { _ = http.Serve(l, nil) }()
	for {
		select {
		case <-d.closeCh:
			// Like libmachine: the reply may or may not be out yet; clients must tolerate both.
			time.Sleep(50 * time.Millisecond)
			os.Exit(0)
		case <-d.heartbeatCh:
		case <-time.After(10 * time.Second):
			fmt.Fprintln(os.Stderr, "no heartbeat for 10 s, exiting")
			os.Exit(1)
		}
	}
}
