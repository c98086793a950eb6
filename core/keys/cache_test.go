package keys

import (
	"bytes"
	"crypto/cipher"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

func TestDataKeyCacheEviction(t *testing.T) {
	aeads := map[string]cipher.AEAD{}
	for i, name := range []string{"a", "b", "c", "d"} {
		aead, err := newAEAD(bytes.Repeat([]byte{byte(i)}, keySize))
		if err != nil {
			t.Fatalf("newAEAD: %v", err)
		}
		aeads[name] = aead
	}
	type step struct {
		op     string // put, get, forget
		tenant string
		aead   string // for put
	}
	tests := []struct {
		name    string
		steps   []step
		present []string
		absent  []string
	}{
		{name: "oldest evicted", steps: []step{{"put", "a", "a"}, {"put", "b", "b"}, {"put", "c", "c"}}, present: []string{"b", "c"}, absent: []string{"a"}},
		{name: "get refreshes", steps: []step{{"put", "a", "a"}, {"put", "b", "b"}, {"get", "a", ""}, {"put", "c", "c"}}, present: []string{"a", "c"}, absent: []string{"b"}},
		{name: "put replaces and refreshes", steps: []step{{"put", "a", "a"}, {"put", "b", "b"}, {"put", "a", "d"}, {"put", "c", "c"}}, present: []string{"a", "c"}, absent: []string{"b"}},
		{name: "forget frees a slot", steps: []step{{"put", "a", "a"}, {"put", "b", "b"}, {"forget", "a", ""}, {"forget", "x", ""}, {"put", "c", "c"}}, present: []string{"b", "c"}, absent: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newDataKeyCache(2)
			last := map[string]string{}
			for _, s := range tt.steps {
				switch s.op {
				case "put":
					c.put(domain.TenantID(s.tenant), aeads[s.aead])
					last[s.tenant] = s.aead
				case "get":
					c.get(domain.TenantID(s.tenant))
				case "forget":
					c.forget(domain.TenantID(s.tenant))
				}
			}
			if c.size() > 2 {
				t.Fatalf("cache holds %d keys, bound is 2", c.size())
			}
			for _, name := range tt.present {
				got, ok := c.get(domain.TenantID(name))
				if !ok || got != aeads[last[name]] {
					t.Errorf("tenant %s: cached %v, want the key put last", name, ok)
				}
			}
			for _, name := range tt.absent {
				if _, ok := c.get(domain.TenantID(name)); ok {
					t.Errorf("tenant %s still cached", name)
				}
			}
		})
	}
}

func TestNewManagerCacheBound(t *testing.T) {
	m := NewManager(Deps{})
	if m.cache.max != maxCachedDataKeys || m.random == nil {
		t.Fatalf("cache bound %d and random %v, want %d and crypto/rand", m.cache.max, m.random, maxCachedDataKeys)
	}
}

// size returns the number of cached keys.
func (c *dataKeyCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
