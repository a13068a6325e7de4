package render

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// This file holds what text and Markdown share: the display order of
// changes and the wording of records, field changes, hosts and batches.

// domainView is one domain's changes and refusals in display order.
type domainView struct {
	Name     string
	Changes  []plan.Change
	Refusals []plan.Refusal
	Counts   Counts
	// Replaces notes, by change id, the record a create replaces or the
	// record that replaces a delete (same name, type and line): the planner
	// realises some value changes as create + remove, and a reviewer should
	// read them as the one change they are.
	Replaces map[string]string
}

// byDomain groups p's changes and refusals per domain, domains sorted by
// name and changes in display order (see changeLess).
func byDomain(p *plan.Plan) []domainView {
	idx := map[string]int{}
	var out []domainView
	get := func(name string) *domainView {
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, domainView{Name: name})
		}
		return &out[i]
	}
	for _, c := range p.Changes {
		d := get(c.Domain)
		d.Changes = append(d.Changes, c)
	}
	for _, r := range p.Refusals {
		d := get(r.Domain)
		d.Refusals = append(d.Refusals, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for i := range out {
		sort.SliceStable(out[i].Changes, func(a, b int) bool { return changeLess(out[i].Changes[a], out[i].Changes[b]) })
		sortRefusals(out[i].Refusals)
		out[i].Replaces = replacements(out[i].Changes)
		out[i].Counts = Counts(plan.CountChanges(out[i].Changes))
	}
	return out
}

// replacements pairs, in display order, the creates and deletes of one
// domain that share a name, type and line (plan.Replaced).
func replacements(cs []plan.Change) map[string]string {
	notes := map[string]string{}
	for _, pr := range plan.Replaced(cs) {
		cr, de := cs[pr[0]], cs[pr[1]]
		notes[cr.ID] = "replaces " + shortValue(*de.Before)
		notes[de.ID] = "replaced by " + shortValue(*cr.After)
	}
	return notes
}

// shortValue is a record's value as a reviewer compares it.
func shortValue(r model.Record) string {
	return viewRecord(r).Value
}

// describeIn is describe with the domain's replacement note, if any.
func describeIn(d domainView, c plan.Change) string {
	s := describe(c)
	if n := d.Replaces[c.ID]; n != "" {
		s += " (" + n + ")"
	}
	return s
}

func sortRefusals(rs []plan.Refusal) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Reason < b.Reason
	})
}

// rank orders a domain's changes as they are reviewed: delegation first,
// then glue, then records; unknown kinds last.
func rank(k plan.ChangeKind) int {
	switch k {
	case plan.NameserversSet:
		return 0
	case plan.HostSynchronize:
		return 1
	case plan.HostCreate:
		return 2
	case plan.HostModify:
		return 3
	case plan.HostDelete:
		return 4
	case plan.RecordDelete: // a delete sorts before a create of the same record, as in a diff
		return 5
	case plan.RecordUpdate:
		return 6
	case plan.RecordCreate:
		return 7
	}
	return 8
}

func isRecordKind(k plan.ChangeKind) bool {
	return k == plan.RecordCreate || k == plan.RecordUpdate || k == plan.RecordDelete
}

// subject is the record a record change is about: the live record for
// updates and deletes, the desired one for creates.
func subject(c plan.Change) *model.Record {
	if c.Before != nil {
		return c.Before
	}
	return c.After
}

func hostOf(c plan.Change) string {
	if c.HostAfter != nil {
		return c.HostAfter.Host
	}
	if c.HostBefore != nil {
		return c.HostBefore.Host
	}
	return ""
}

// section groups a domain's changes for review: delegation, glue, records,
// then kinds this version does not know.
func section(k plan.ChangeKind) int {
	switch {
	case k == plan.NameserversSet:
		return 0
	case k == plan.HostSynchronize || k == plan.HostCreate || k == plan.HostModify || k == plan.HostDelete:
		return 1
	case isRecordKind(k):
		return 2
	}
	return 3
}

// changeLess is the display order inside a domain: by section; glue by host
// name; records in canonical record order (so that a delete and a create of
// the same name sit together); then by kind; the change id breaks ties.
func changeLess(a, b plan.Change) bool {
	if sa, sb := section(a.Kind), section(b.Kind); sa != sb {
		return sa < sb
	}
	if ha, hb := hostOf(a), hostOf(b); ha != hb {
		return ha < hb
	}
	if ra, rb := subject(a), subject(b); ra != nil && rb != nil {
		if model.RecordLess(*ra, *rb) {
			return true
		}
		if model.RecordLess(*rb, *ra) {
			return false
		}
	}
	if rank(a.Kind) != rank(b.Kind) {
		return rank(a.Kind) < rank(b.Kind)
	}
	return a.ID < b.ID
}

// recordView is a record split into the columns people read.
type recordView struct {
	Name, Type, Value string
	Attrs             []string // line (when not the default), ttl, disabled
}

func viewRecord(r model.Record) recordView {
	v := recordView{Name: displayName(r.Name), Type: printable(r.Type), Value: valueText(r)}
	if r.Type == model.TypeMX {
		v.Value = strconv.Itoa(r.MX) + " " + v.Value
	}
	if r.Line != "" && r.Line != model.DefaultLine {
		v.Attrs = append(v.Attrs, "line "+printable(r.Line))
	}
	v.Attrs = append(v.Attrs, "ttl "+strconv.Itoa(r.TTL))
	if !r.Enabled {
		v.Attrs = append(v.Attrs, "disabled")
	}
	return v
}

// valueText shows a value: TXT quoted and escaped (quotes, pipes and
// control characters stay visible), everything else as stored.
func valueText(r model.Record) string {
	if r.Type == model.TypeTXT {
		return strconv.Quote(r.Value)
	}
	if r.Value == "" {
		return `""`
	}
	return printable(r.Value)
}

// String is "name TYPE value (attrs)".
func (v recordView) String() string {
	return v.Name + " " + v.Type + " " + v.Value + " (" + strings.Join(v.Attrs, ", ") + ")"
}

// Identity names the record an update acts on: "name TYPE value" plus a
// non-default line; without the value when the update changes it, since the
// change shows it.
func (v recordView) Identity(withValue bool) string {
	s := v.Name + " " + v.Type
	if withValue {
		s += " " + v.Value
	}
	if len(v.Attrs) > 0 && strings.HasPrefix(v.Attrs[0], "line ") {
		s += " (" + v.Attrs[0] + ")"
	}
	return s
}

// fieldOrder is the order of record fields in an update, and the only
// fields an update may name (plan.Change.Fields).
func fieldOrder() []string {
	return []string{"name", "type", "line", "value", "mx", "ttl", "enabled"}
}

func fieldValue(r model.Record, f string) string {
	switch f {
	case "name":
		return displayName(r.Name)
	case "type":
		return printable(r.Type)
	case "line":
		return printable(r.Line)
	case "value":
		return valueText(r)
	case "mx":
		return strconv.Itoa(r.MX)
	case "ttl":
		return strconv.Itoa(r.TTL)
	case "enabled":
		if r.Enabled {
			return "enabled"
		}
		return "disabled"
	}
	return "?"
}

func fieldLabel(f string) string {
	if f == "enabled" {
		return "status"
	}
	return printable(f)
}

// changedFields lists an update's fields in fieldOrder. The planner names
// them in Change.Fields; when it did not, they are found by comparing the
// two records.
func changedFields(c plan.Change) []string {
	have := map[string]bool{}
	for _, f := range c.Fields {
		have[f] = true
	}
	if len(have) == 0 && c.Before != nil && c.After != nil {
		for _, f := range fieldOrder() {
			if fieldValue(*c.Before, f) != fieldValue(*c.After, f) {
				have[f] = true
			}
		}
	}
	var out []string
	for _, f := range fieldOrder() {
		if have[f] {
			out = append(out, f)
			delete(have, f)
		}
	}
	rest := make([]string, 0, len(have))
	for f := range have {
		rest = append(rest, f)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// fieldChanges renders an update as "ttl 600 → 60" phrases.
func fieldChanges(c plan.Change) []string {
	fs := changedFields(c)
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		if c.Before == nil || c.After == nil {
			out = append(out, fieldLabel(f))
			continue
		}
		out = append(out, fieldLabel(f)+" "+fieldValue(*c.Before, f)+" → "+fieldValue(*c.After, f))
	}
	return out
}

// nsList shows a nameserver set; "(none)" when empty.
func nsList(ns []string) string {
	if len(ns) == 0 {
		return "(none)"
	}
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = displayName(n)
	}
	return strings.Join(out, ", ")
}

func ipList(h *model.DNSHost) string {
	if h == nil || len(h.IPs) == 0 {
		return "(no addresses)"
	}
	out := make([]string, len(h.IPs))
	for i, ip := range h.IPs {
		out[i] = printable(ip)
	}
	return strings.Join(out, ", ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// nameserverChange is "a, b → c, d" plus the registrar-DNS flag when it
// moves.
func nameserverChange(c plan.Change) string {
	s := nsList(c.NSBefore) + " → " + nsList(c.NSAfter)
	if c.AliyunDNSBefore != c.AliyunDNSAfter {
		s += "; registrar DNS " + onOff(c.AliyunDNSBefore) + " → " + onOff(c.AliyunDNSAfter)
	}
	return s
}

// source says where a change comes from: the declaration (file:line) and,
// for changes to live records, the provider's record id. Deletes of items
// no file declares say so.
func source(c plan.Change) string {
	var parts []string
	if !c.Pos.IsZero() {
		parts = append(parts, printable(c.Pos.String()))
	}
	if (c.Kind == plan.RecordUpdate || c.Kind == plan.RecordDelete) && c.Before != nil && c.Before.ID != "" {
		parts = append(parts, "id "+printable(c.Before.ID))
	}
	if c.Pos.IsZero() && (c.Kind == plan.RecordDelete || c.Kind == plan.HostDelete) {
		parts = append(parts, "not declared")
	}
	return strings.Join(parts, ", ")
}

// symbol is the one-character mark of a change kind.
func symbol(k plan.ChangeKind) string {
	switch k {
	case plan.RecordCreate, plan.HostCreate:
		return "+"
	case plan.RecordUpdate, plan.HostModify, plan.NameserversSet:
		return "~"
	case plan.RecordDelete, plan.HostDelete:
		return "-"
	case plan.HostSynchronize:
		return "↻"
	}
	return "?"
}

// describe is a one-line description of a change without its symbol and
// source, shared by text and by Markdown's registrar list.
func describe(c plan.Change) string {
	switch c.Kind {
	case plan.NameserversSet:
		return "nameservers " + nameserverChange(c)
	case plan.HostCreate:
		return "host " + displayName(hostOf(c)) + " " + ipList(c.HostAfter)
	case plan.HostModify:
		return "host " + displayName(hostOf(c)) + " " + ipList(c.HostBefore) + " → " + ipList(c.HostAfter)
	case plan.HostDelete:
		return "host " + displayName(hostOf(c)) + " " + ipList(c.HostBefore)
	case plan.HostSynchronize:
		if h := hostOf(c); h != "" {
			return "sync host " + displayName(h) + " from the registry, then re-read"
		}
		// The planner synchronises a domain's hosts as a whole.
		return "sync DNS hosts from the registry, then re-read"
	case plan.RecordCreate, plan.RecordDelete:
		if r := subject(c); r != nil {
			return viewRecord(*r).String()
		}
	case plan.RecordUpdate:
		if r := subject(c); r != nil {
			return viewRecord(*r).Identity(!slices.Contains(changedFields(c), "value")) + ": " +
				strings.Join(fieldChanges(c), ", ")
		}
	}
	return printable(string(c.Kind)) + " " + printable(c.ID)
}

// batchItems is how many items a batch carries and the provider's
// description of it, made safe for a terminal.
func batchItems(b plan.Batch) (int, string) {
	return b.Items, printable(b.Detail)
}

// batchCount is the number of batches over all stages.
func batchCount(p *plan.Plan) int {
	n := 0
	for _, s := range p.Stages {
		n += len(s.Batches)
	}
	return n
}

// costLine is the plan's cost in one sentence.
func costLine(c plan.Cost) string {
	s := plural(c.Batches, "batch", "batches") + ", " + plural(c.APICalls, "API call", "API calls") +
		", " + plural(c.Tasks, "task", "tasks") + " to await"
	if c.LowerBound > 0 {
		s += " (lower bound " + plural(c.LowerBound, "batch", "batches") + ")"
	}
	return s + "; a one-call-per-record tool would make " + plural(c.PerRecordCalls, "call", "calls") + "."
}
