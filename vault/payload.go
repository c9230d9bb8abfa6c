package vault

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// schemaVersion is the payload schema this code writes. Older schemas are
// migrated on load; newer ones are refused with ErrUnsupported.
const schemaVersion = 1

// payload is the plaintext inside vault.age.
type payload struct {
	Schema     int         `json:"schema"`
	Generation uint64      `json:"generation"`
	Saved      time.Time   `json:"saved"`
	Recipients []string    `json:"recipients,omitempty"`
	Keys       []keyRecord `json:"keys"`
	// PendingPurge lists key IDs whose earlier secrets may still be in
	// the backups: saved with the change that rotated or removed them,
	// cleared once the backups are purged (see finishPurgeLocked).
	PendingPurge []string `json:"pending_purge,omitempty"`
	// Retired names the removed keys (retired.go).
	Retired []RetiredKey `json:"retired,omitempty"`
}

// keyRecord is a Key as stored: the same fields with the secret in clear
// (inside the encrypted payload), since Secret marshals to its masked form.
type keyRecord struct {
	Key
	Secret string `json:"secret"`
}

func toRecord(k Key) keyRecord {
	r := keyRecord{Key: k.clone(), Secret: k.Secret.Reveal()}
	r.Key.Secret = Secret{}
	return r
}

func (r keyRecord) key() Key {
	k := r.Key.clone()
	k.Secret = Secret{value: r.Secret}
	return k
}

func (p payload) clone() payload {
	p.Recipients = slices.Clone(p.Recipients)
	p.PendingPurge = slices.Clone(p.PendingPurge)
	p.Retired = slices.Clone(p.Retired)
	keys := make([]keyRecord, len(p.Keys))
	for i, r := range p.Keys {
		keys[i] = keyRecord{Key: r.Key.clone(), Secret: r.Secret}
	}
	p.Keys = keys
	return p
}

// find returns the index of the key with that name, else with that ID,
// else -1.
func (p *payload) find(nameOrID string) int {
	for i := range p.Keys {
		if p.Keys[i].Name == nameOrID {
			return i
		}
	}
	for i := range p.Keys {
		if p.Keys[i].ID == nameOrID {
			return i
		}
	}
	return -1
}

func encodePayload(p payload) ([]byte, error) {
	p.Schema = schemaVersion
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode vault: %w", err)
	}
	return b, nil
}

// decodePayload parses and checks a vault payload. It never trusts the
// content: names and IDs must be unique and every record valid.
func decodePayload(b []byte) (payload, error) {
	var probe struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return payload{}, fmt.Errorf("payload: %v: %w", err, ErrCorrupted)
	}
	if probe.Schema == nil {
		return payload{}, fmt.Errorf("payload has no schema: %w", ErrCorrupted)
	}
	if *probe.Schema > schemaVersion || *probe.Schema < 1 {
		return payload{}, fmt.Errorf("schema %d (this vaultchat reads %d): %w", *probe.Schema, schemaVersion, ErrUnsupported)
	}
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return payload{}, fmt.Errorf("payload: %v: %w", err, ErrCorrupted)
	}
	if p.Keys == nil {
		p.Keys = []keyRecord{}
	}
	// An extra recipient that does not parse would make every later save
	// fail, long after the damage; refuse it on load instead.
	for i, s := range p.Recipients {
		if _, err := parseRecipient(s, nil); err != nil {
			return payload{}, fmt.Errorf("payload: recipient %d does not parse: %w", i, ErrCorrupted)
		}
	}
	names := map[string]bool{}
	ids := map[string]bool{}
	for i := range p.Keys {
		r := &p.Keys[i]
		k := r.key()
		if r.ID == "" || ids[r.ID] || names[r.Name] {
			return payload{}, fmt.Errorf("payload: key %d has a missing or duplicate ID or name: %w", i, ErrCorrupted)
		}
		if err := k.validateStored(); err != nil {
			return payload{}, fmt.Errorf("payload: key %d: %v: %w", i, err, ErrCorrupted)
		}
		r.Key.BaseURL = k.BaseURL
		ids[r.ID], names[r.Name] = true, true
	}
	return p, nil
}

// change is what an Update changed.
type change int

const (
	changeNone        change = iota
	changeBookkeeping        // only last-used and last-check dates
	changeData               // anything else
)

// changes compares two states.
func changes(before, after payload) change {
	b, errB := encodePayload(before)
	a, errA := encodePayload(after)
	if errA == nil && errB == nil && string(a) == string(b) {
		return changeNone
	}
	before, after = before.clone(), after.clone()
	for _, p := range []*payload{&before, &after} {
		for i := range p.Keys {
			p.Keys[i].LastUsed, p.Keys[i].LastCheck = time.Time{}, Check{}
		}
	}
	b, errB = encodePayload(before)
	a, errA = encodePayload(after)
	if errA == nil && errB == nil && string(a) == string(b) {
		return changeBookkeeping
	}
	return changeData
}
