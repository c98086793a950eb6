package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

// TestCacheCompilesEachTextOnce runs a sequence of compilations through one
// cache of two schemas and checks, after each, how many compilations ran
// and how many schemas it holds: a text read again is not compiled again
// while it is held, a changed text is, the least recently used is dropped
// beyond the size, and a text that does not compile is refused every time
// and never held.
func TestCacheCompilesEachTextOnce(t *testing.T) {
	a, b, c := `{"type":"object"}`, `{"required":["db"]}`, `{"maxProperties":3}`
	cache := NewCache(2)
	for _, step := range []struct {
		name         string
		doc          string
		wantCompiles int64
		wantLen      int
		wantInvalid  bool
	}{
		{"a", a, 1, 1, false},
		{"a again", a, 1, 1, false},
		{"b, a changed", b, 2, 2, false},
		{"a, still held", a, 2, 2, false},
		{"c drops b, the least recently used", c, 3, 2, false},
		{"a, still held", a, 3, 2, false},
		{"b again, compiled again", b, 4, 2, false},
		{"invalid", `{"type":"nonsense"}`, 5, 2, true},
		{"invalid again, compiled again", `{"type":"nonsense"}`, 6, 2, true},
	} {
		got, err := cache.Compile(json.RawMessage(step.doc))
		switch {
		case step.wantInvalid && !domain.IsKind(err, domain.KindInvalid):
			t.Fatalf("%s: Compile = %v, want VALIDATION_ERROR", step.name, err)
		case !step.wantInvalid && (err != nil || got == nil):
			t.Fatalf("%s: Compile = %v, %v", step.name, got, err)
		}
		if n := cache.Compiles(); n != step.wantCompiles {
			t.Errorf("%s: %d compilations, want %d", step.name, n, step.wantCompiles)
		}
		if n := cache.Len(); n != step.wantLen {
			t.Errorf("%s: %d schemas held, want %d", step.name, n, step.wantLen)
		}
	}
}

// TestCacheSharesOneSchema checks that a text held is answered with the
// same compiled schema, and that a text of other bytes (the same schema
// written otherwise) is another entry.
func TestCacheSharesOneSchema(t *testing.T) {
	cache := NewCache(0)
	first, err := cache.Compile(json.RawMessage(`{"type":"object"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		doc  string
		same bool
	}{
		{`{"type":"object"}`, true},
		{`{"type": "object"}`, false},
	} {
		got, err := cache.Compile(json.RawMessage(c.doc))
		if err != nil {
			t.Fatal(err)
		}
		if (got == first) != c.same {
			t.Errorf("Compile(%s) shares the first schema: %v, want %v", c.doc, got == first, c.same)
		}
	}
}

// TestCacheConcurrentUse compiles and validates from many goroutines at
// once (run with -race): each text is compiled once, and every validation
// through the shared schema gives the answer of a schema of its own.
func TestCacheConcurrentUse(t *testing.T) {
	docs := []json.RawMessage{
		json.RawMessage(`{"properties":{"db":{"properties":{"port":{"type":"integer","maximum":100},"host":{"pattern":"^[a-z]+$"}},"required":["host"]}}}`),
		json.RawMessage(`{"properties":{"db":{"additionalProperties":false,"properties":{"port":{"minimum":10}}}}}`),
	}
	configs := []map[string]map[string]json.RawMessage{
		{"db": {"port": json.RawMessage(`1000`), "host": json.RawMessage(`"Bad-Host"`)}},
		{"db": {"port": json.RawMessage(`5`)}},
		{"db": {"port": json.RawMessage(`50`), "host": json.RawMessage(`"ok"`)}},
	}
	want := make([][]Violation, len(docs)*len(configs))
	for i, doc := range docs {
		own, err := Compile("schema", doc)
		if err != nil {
			t.Fatal(err)
		}
		for j, config := range configs {
			if want[i*len(configs)+j], err = own.Validate(config); err != nil {
				t.Fatal(err)
			}
		}
	}
	cache := NewCache(0)
	const workers, rounds = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				i, j := (g+r)%len(docs), (g*7+r)%len(configs)
				compiled, err := cache.Compile(docs[i])
				if err != nil {
					errs <- err
					return
				}
				got, err := compiled.Validate(configs[j])
				if err != nil {
					errs <- err
					return
				}
				if !reflect.DeepEqual(got, want[i*len(configs)+j]) {
					errs <- fmt.Errorf("schema %d, config %d: %v, want %v", i, j, got, want[i*len(configs)+j])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := cache.Compiles(); n != int64(len(docs)) {
		t.Errorf("%d compilations of %d texts, want one each", n, len(docs))
	}
}
