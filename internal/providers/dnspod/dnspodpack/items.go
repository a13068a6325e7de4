// Package dnspodpack is the packing core the two DNSPod planners share:
// the legacy API's (internal/providers/dnspod) and API 3.0's
// (internal/providers/tencentcloud). Both APIs change records of one
// product under one rule engine (dnspodrules), so what they have in
// common lives here: the modification items of Batch.Record.Modify and
// ModifyRecordBatch and their groups by (field, value), the kinds by which
// a leftover live record can become a leftover desired record and the
// search for such pairings, create sets shared across domains, the
// ordering of batches by rank and by replaying conflicting cells with the
// rule engine, and the simulator's replay of batches item by item.
//
// What differs stays in the provider packages: their operations and
// payloads, their batch limits, what a call costs (and so which pairings
// pay), and for API 3.0 the task budget and the fallback to single-record
// calls. docs/PLANNING.md describes the planning as a whole.
package dnspodpack

import (
	"cmp"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Item is one field change of one record, as one Batch.Record.Modify (or
// ModifyRecordBatch) call carries it for all its records: Field set to To,
// in the vocabulary of dnspodrules.Apply; a record_type change also
// carries Value, and MX where the record becomes or stays MX.
type Item struct {
	Field, To, Value string
	MX               int
}

// Apply returns r with the item applied (no zone rule check).
func (it Item) Apply(r model.Record) (model.Record, *dnspodrules.Error) {
	return dnspodrules.Apply(r, it.Field, it.To, it.Value, it.MX)
}

// Group is a modification group: one item at one provider, exactly what
// one modify call can carry for any number of records.
type Group struct {
	Provider string
	Item
}

func (g Group) String() string {
	return g.Provider + "\x00" + g.Field + "\x00" + g.To + "\x00" + g.Value + "\x00" + strconv.Itoa(g.MX)
}

// CmpGroup orders groups field by field.
func CmpGroup(a, b Group) int {
	return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Field, b.Field), cmp.Compare(a.To, b.To),
		cmp.Compare(a.Value, b.Value), cmp.Compare(a.MX, b.MX))
}

// StatusItem enables or pauses a record.
func StatusItem(enabled bool) Item {
	if enabled {
		return Item{Field: dnspodrules.FieldStatus, To: "enable"}
	}
	return Item{Field: dnspodrules.FieldStatus, To: "disable"}
}

// NeutralItems appends to out the TTL and status changes taking l to d's
// TTL and status: the items of an exact key match, and those a pairing
// needs besides its identity item.
func NeutralItems(l, d model.Record, out []Item) []Item {
	if l.TTL != d.TTL {
		out = append(out, Item{Field: dnspodrules.FieldTTL, To: strconv.Itoa(d.TTL)})
	}
	if l.Enabled != d.Enabled {
		out = append(out, StatusItem(d.Enabled))
	}
	return out
}

// Pairing kinds: how a leftover live record can become a leftover desired
// record with one identity-changing item (plus TTL and status). Same-cell
// kinds come first: they cannot move a record into another (name, line)
// and so rarely need ordering.
const (
	KindValue = iota // same name, type, line, MX priority
	KindMX           // same name, line, MX target
	KindType         // same name and line, other type (record_type carries value and mx)
	KindArea         // same name, type, value, priority; other line
	KindName         // same type, line, value, priority; other name (rename)
	NumKinds
)

// IdentityItem is the item that turns a record into d by kind, as
// Batch.Record.Modify takes it: MX only with a record_type change to MX.
// A provider whose call wants more (API 3.0 wants MX with every change of
// an MX record) adds it.
func IdentityItem(kind int, d model.Record) Item {
	switch kind {
	case KindValue:
		return Item{Field: dnspodrules.FieldValue, To: d.Value}
	case KindMX:
		return Item{Field: dnspodrules.FieldMX, To: strconv.Itoa(d.MX)}
	case KindType:
		it := Item{Field: dnspodrules.FieldRecordType, To: d.Type, Value: d.Value}
		if d.Type == model.TypeMX {
			it.MX = d.MX
		}
		return it
	case KindArea:
		return Item{Field: dnspodrules.FieldArea, To: d.Line}
	default:
		return Item{Field: dnspodrules.FieldSubDomain, To: d.Name}
	}
}

// BucketKey groups live and desired records that a kind can pair; ""
// means the kind does not apply to r.
func BucketKey(kind int, r model.Record) string {
	v := model.CompareValue(r.Type, r.Value)
	mx := strconv.Itoa(r.MX)
	switch kind {
	case KindValue:
		return r.Name + "\x00" + r.Type + "\x00" + r.Line + "\x00" + mx
	case KindMX:
		if r.Type != model.TypeMX {
			return ""
		}
		return r.Name + "\x00" + r.Line + "\x00" + v
	case KindType:
		return r.Name + "\x00" + r.Line
	case KindArea:
		return r.Name + "\x00" + r.Type + "\x00" + v + "\x00" + mx
	default:
		return r.Type + "\x00" + r.Line + "\x00" + v + "\x00" + mx
	}
}

// AllowedKinds is how many kinds (from KindValue on) a zone's policy lets
// pairing use.
func AllowedKinds(p model.Policy) int {
	switch p {
	case model.PolicyCreateOnly:
		return 0
	case model.PolicyUpsertOnly:
		return KindType // value and MX changes keep the record set
	default:
		return NumKinds
	}
}

// Ranks order the kinds of record batches. Every cell whose changes could
// conflict sees its batches in rank order, so per-cell orders never
// contradict each other: TTL (neutral) first, then disabling, then
// identity changes that keep a record in its cell (type, value, priority),
// then moves between cells (line, name), whole-record replacements,
// creates, enabling, and replacements that enable. Removals are not
// ranked: they run in a stage before all of these (when they must clear a
// conflict) or after all of them.
const (
	RankTTL = iota
	RankDisable
	RankType
	RankValue
	RankMX
	RankArea
	RankName
	RankReplace
	RankCreate
	RankEnable
	RankReplaceLate
)

// RankOf is the rank of a modify batch carrying it.
func RankOf(it Item) int {
	switch it.Field {
	case dnspodrules.FieldTTL:
		return RankTTL
	case dnspodrules.FieldStatus:
		if it.To == "disable" {
			return RankDisable
		}
		return RankEnable
	case dnspodrules.FieldRecordType:
		return RankType
	case dnspodrules.FieldValue:
		return RankValue
	case dnspodrules.FieldMX:
		return RankMX
	case dnspodrules.FieldArea:
		return RankArea
	default:
		return RankName
	}
}
