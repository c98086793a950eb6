package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// checkChangeSet validates a change set against the contract's rules and
// limits, naming each bad field ("set.database.url.value").
func checkChangeSet(slug, env string, cs domain.ChangeSet) error {
	p := domain.Problems{}
	checkTarget(p, slug, "environment", env)
	domain.CheckText(p, "message", cs.Message, domain.MaxMessageLength, false)
	checkExpectedVersion(p, cs.ExpectedVersion)
	setKeys := 0
	for obj, entries := range cs.Set {
		field := "set." + obj
		domain.CheckObjectName(p, field, obj)
		if len(entries) == 0 {
			p.Add(field, "must set at least one key")
		}
		for key, v := range entries {
			domain.CheckKeyName(p, field+"."+key, key)
			domain.CheckValue(p, field+"."+key+".value", v.Value)
			if !v.Secret {
				if _, _, err := parseValue(v.Value); domain.IsKind(err, domain.KindInvalid) {
					p.Add(field+"."+key+".value", "holds a malformed reference (write $${ for a literal ${)")
				}
			}
		}
		setKeys += len(entries)
	}
	unsetKeys := 0
	for obj, keys := range cs.Unset {
		field := "unset." + obj
		domain.CheckObjectName(p, field, obj)
		if len(keys) == 0 {
			p.Add(field, "must name at least one key")
		}
		for _, key := range keys {
			domain.CheckKeyName(p, field+"."+key, key)
			if _, both := cs.Set[obj][key]; both {
				p.Add(field+"."+key, "cannot be set and unset in one change")
			}
		}
		unsetKeys += len(keys)
	}
	switch {
	case setKeys+unsetKeys == 0:
		p.Add("set", "a change must set or unset at least one key")
	case setKeys > domain.MaxKeysPerEnvironment:
		p.Add("set", fmt.Sprintf("must hold at most %d keys", domain.MaxKeysPerEnvironment))
	}
	return p.Err()
}

// applyUnset removes the unset keys from snap and drops objects left empty.
// A key that is not set is a VALIDATION_ERROR, so that a typo is caught.
func applyUnset(snap domain.Snapshot, unset map[string][]string) error {
	p := domain.Problems{}
	for obj, keys := range unset {
		for _, key := range keys {
			if _, ok := snap[obj][key]; !ok {
				p.Add("unset."+obj+"."+key, "is not set")
			}
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	for obj, keys := range unset {
		for _, key := range keys {
			delete(snap[obj], key)
		}
		if len(snap[obj]) == 0 {
			delete(snap, obj)
		}
	}
	return nil
}

// applySet writes the set keys into snap, sealing secrets for their place,
// after checking that the result stays within domain.MaxKeysPerEnvironment.
func (s *Service) applySet(ctx context.Context, st ports.TenantTx, at place, snap domain.Snapshot, set map[string]map[string]domain.Value) error {
	total := snap.Keys()
	for obj, entries := range set {
		for key := range entries {
			if _, ok := snap[obj][key]; !ok {
				total++
			}
		}
	}
	if total > domain.MaxKeysPerEnvironment {
		p := domain.Problems{}
		p.Add("set", fmt.Sprintf("would leave %d keys in the environment; at most %d are allowed", total, domain.MaxKeysPerEnvironment))
		return p.Err()
	}
	for _, obj := range slices.Sorted(maps.Keys(set)) {
		entries := set[obj]
		if snap[obj] == nil {
			snap[obj] = make(map[string]domain.StoredValue, len(entries))
		}
		for _, key := range slices.Sorted(maps.Keys(entries)) {
			stored, err := s.storedValue(ctx, st, at, obj, key, entries[key])
			if err != nil {
				return err
			}
			snap[obj][key] = stored
		}
	}
	return nil
}

// storedValue turns a written value into its stored form: compact JSON, or
// for a secret that JSON sealed for its place (the plaintext copy is wiped).
func (s *Service) storedValue(ctx context.Context, st ports.TenantTx, at place, obj, key string, v domain.Value) (domain.StoredValue, error) {
	compact, err := compactJSON(v.Value)
	if err != nil {
		return domain.StoredValue{}, err
	}
	if !v.Secret {
		return domain.StoredValue{Value: compact}, nil
	}
	defer clear(compact)
	return s.seal(ctx, st, at, obj, key, compact)
}

// compactJSON returns v without insignificant whitespace, in a buffer of its
// own sized up front so that no partial copy of a secret is left behind.
func compactJSON(v json.RawMessage) (json.RawMessage, error) {
	var b bytes.Buffer
	b.Grow(len(v))
	if err := json.Compact(&b, v); err != nil {
		return nil, domain.Wrap(err, "Could not encode a value.")
	}
	return b.Bytes(), nil
}

// setPaths lists the "object.key" paths a change set writes, sorted.
func setPaths(set map[string]map[string]domain.Value) []string {
	paths := []string{}
	for obj, entries := range set {
		for key := range entries {
			paths = append(paths, obj+"."+key)
		}
	}
	slices.Sort(paths)
	return paths
}

// unsetPaths lists the "object.key" paths a change set removes, sorted and
// without repeats.
func unsetPaths(unset map[string][]string) []string {
	paths := []string{}
	for obj, keys := range unset {
		for _, key := range keys {
			paths = append(paths, obj+"."+key)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}
