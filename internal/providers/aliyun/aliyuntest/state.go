package aliyuntest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"
)

// Task types (spec §3.0). The deletion type is not documented; the emulator
// uses DELETE_DNSHOST.
const (
	TaskChangeDNS  = "CHG_DNS"
	TaskCreateHost = "CREATE_DNSHOST"
	TaskUpdateHost = "UPDATE_DNSHOST"
	TaskDeleteHost = "DELETE_DNSHOST"
	TaskSyncHost   = "SYNC_DNSHOST"
)

// Task detail status codes (spec §3.0).
const (
	StatusWaiting   = 0
	StatusExecuting = 1
	StatusSuccess   = 2
	StatusFailure   = 3
)

var statusNames = [...]string{"WAITING_EXECUTE", "EXECUTING", "EXECUTE_SUCCESS", "EXECUTE_FAILURE"}

var taskDescriptions = map[string]string{
	TaskChangeDNS:  "Change DNS servers",
	TaskCreateHost: "Create DNS host",
	TaskUpdateHost: "Modify DNS host",
	TaskDeleteHost: "Delete DNS host",
	TaskSyncHost:   "Synchronize DNS hosts",
}

// StateVersion is the version of the exported JSON state.
const StateVersion = 1

// State is the emulator's persistent state (Export/Import). Credentials and
// the nonce cache are not part of it: keys are configured at start.
type State struct {
	Version int           `json:"version"`
	NextID  int64         `json:"next_id"`
	Domains []DomainState `json:"domains"`
	Tasks   []TaskState   `json:"tasks"`
}

// DomainState is one emulated domain.
type DomainState struct {
	Name        string    `json:"name"`
	InstanceID  string    `json:"instance_id"`
	Nameservers []string  `json:"nameservers"`
	AliyunDNS   bool      `json:"aliyun_dns"`
	Registered  time.Time `json:"registered"`
	// RegistryHosts are the DNS hosts as the registry knows them (truth);
	// RegistrarHosts what the registrar reports through QueryDnsHost.
	RegistryHosts  []HostState `json:"registry_hosts"`
	RegistrarHosts []HostState `json:"registrar_hosts"`
}

// HostState is one DNS host: full name and sorted addresses.
type HostState struct {
	Name string   `json:"name"`
	IPs  []string `json:"ips"`
}

// TaskState is one submitted task with its per-domain details.
type TaskState struct {
	TaskNo  string    `json:"task_no"`
	Type    string    `json:"type"`
	Created time.Time `json:"created"`
	// Operation parameters.
	Nameservers []string      `json:"nameservers,omitempty"`
	AliyunDNS   bool          `json:"aliyun_dns,omitempty"`
	Host        string        `json:"host,omitempty"`
	IPs         []string      `json:"ips,omitempty"`
	Details     []DetailState `json:"details"`
}

// DetailState is the per-domain part of a task.
type DetailState struct {
	DetailNo   string    `json:"detail_no"`
	Seq        int64     `json:"seq"`
	Domain     string    `json:"domain"`
	InstanceID string    `json:"instance_id"`
	Status     int       `json:"status"`
	TryCount   int       `json:"try_count"`
	ErrorMsg   string    `json:"error_msg,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	// FailInjected makes the detail fail when it executes (fault injection).
	FailInjected bool `json:"fail_injected,omitempty"`
}

// Final reports whether the detail will not change any more.
func (d DetailState) Final() bool { return d.Status >= StatusSuccess }

// StatusName is the TaskStatus string of the detail.
func (d DetailState) StatusName() string { return statusNames[d.Status] }

// domain is the in-memory form of DomainState.
type domain struct {
	name, instanceID string
	nameservers      []string
	aliyunDNS        bool
	registered       time.Time
	registry         map[string][]string // host FQDN → IPs
	registrar        map[string][]string
}

type task struct {
	TaskState
	details []*DetailState
}

// state is guarded by Server.mu.
type state struct {
	nextID     int64
	domains    map[string]*domain // by name
	byInstance map[string]*domain
	tasks      map[string]*task
	taskOrder  []string
}

func newState() *state {
	return &state{domains: map[string]*domain{}, byInstance: map[string]*domain{}, tasks: map[string]*task{}}
}

func (st *state) id() int64 { st.nextID++; return st.nextID }

func hostsOut(m map[string][]string) []HostState {
	out := make([]HostState, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, HostState{Name: k, IPs: slices.Clone(m[k])})
	}
	return out
}

func hostsIn(hs []HostState) map[string][]string {
	m := make(map[string][]string, len(hs))
	for _, h := range hs {
		m[h.Name] = slices.Clone(h.IPs)
	}
	return m
}

func (d *domain) export() DomainState {
	return DomainState{
		Name: d.name, InstanceID: d.instanceID, Nameservers: slices.Clone(d.nameservers),
		AliyunDNS: d.aliyunDNS, Registered: d.registered,
		RegistryHosts: hostsOut(d.registry), RegistrarHosts: hostsOut(d.registrar),
	}
}

func (t *task) export() TaskState {
	ts := t.TaskState
	ts.Nameservers = slices.Clone(ts.Nameservers)
	ts.IPs = slices.Clone(ts.IPs)
	ts.Details = make([]DetailState, len(t.details))
	for i, d := range t.details {
		ts.Details[i] = *d
	}
	return ts
}

func (st *state) export() State {
	out := State{Version: StateVersion, NextID: st.nextID, Domains: []DomainState{}, Tasks: []TaskState{}}
	for _, name := range slices.Sorted(maps.Keys(st.domains)) {
		out.Domains = append(out.Domains, st.domains[name].export())
	}
	for _, no := range st.taskOrder {
		out.Tasks = append(out.Tasks, st.tasks[no].export())
	}
	return out
}

func importState(in State) (*state, error) {
	if in.Version != StateVersion {
		return nil, fmt.Errorf("aliyuntest: state version %d, want %d", in.Version, StateVersion)
	}
	st := newState()
	st.nextID = in.NextID
	for _, ds := range in.Domains {
		if _, dup := st.domains[ds.Name]; dup {
			return nil, fmt.Errorf("aliyuntest: state: domain %s twice", ds.Name)
		}
		d := &domain{
			name: ds.Name, instanceID: ds.InstanceID, nameservers: slices.Clone(ds.Nameservers),
			aliyunDNS: ds.AliyunDNS, registered: ds.Registered,
			registry: hostsIn(ds.RegistryHosts), registrar: hostsIn(ds.RegistrarHosts),
		}
		st.domains[d.name] = d
		st.byInstance[d.instanceID] = d
	}
	for _, ts := range in.Tasks {
		t := &task{TaskState: ts}
		for i := range ts.Details {
			d := ts.Details[i]
			t.details = append(t.details, &d)
		}
		t.Details = nil
		st.tasks[t.TaskNo] = t
		st.taskOrder = append(st.taskOrder, t.TaskNo)
	}
	return st, nil
}

// busy reports whether the domain has a detail that is not final.
func (st *state) busy(name string) bool {
	for _, t := range st.tasks {
		for _, d := range t.details {
			if d.Domain == name && !d.Final() {
				return true
			}
		}
	}
	return false
}

// parent returns the longest emulated domain that host lies under.
func (st *state) parent(host string) *domain {
	var best *domain
	for name, d := range st.domains {
		if strings.HasSuffix(host, "."+name) && (best == nil || len(name) > len(best.name)) {
			best = d
		}
	}
	return best
}

// usedBy returns the domains that use host as a name server.
func (st *state) usedBy(host string) []string {
	var out []string
	for name, d := range st.domains {
		if slices.Contains(d.nameservers, host) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// canonHost lower-cases and strips a trailing dot.
func canonHost(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}

// validHostName applies the registrar's DNS host name rules (spec §5):
// letters, digits, "." and "-"; no leading/trailing "." or "-"; ≤ 80 chars.
func validHostName(h string) bool {
	if h == "" || len(h) > 80 || !strings.Contains(h, ".") {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// canonIPs parses, de-duplicates and sorts addresses; ok is false on a bad one.
func canonIPs(in []string) ([]string, bool) {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return nil, false
		}
		t := a.Unmap().String()
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, true
}

func marshalState(s State) ([]byte, error) { return json.MarshalIndent(s, "", "  ") }
