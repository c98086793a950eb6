package sqlstore

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

type legacyBenchValue struct {
	Value  json.RawMessage `json:"value,omitempty"`
	Secret bool            `json:"secret,omitempty"`
	Sealed []byte          `json:"sealed,omitempty"`
}

func benchSnapshot() domain.Snapshot {
	s := domain.Snapshot{}
	for o := range 100 {
		obj := map[string]domain.StoredValue{}
		for k := range 10 {
			if k < 2 {
				obj[fmt.Sprint("k", k)] = domain.StoredValue{Secret: true, Sealed: make([]byte, 40)}
			} else {
				obj[fmt.Sprint("k", k)] = domain.StoredValue{Value: json.RawMessage(fmt.Sprintf(`"value-%d-%d"`, o, k))}
			}
		}
		s[fmt.Sprint("object", o)] = obj
	}
	return s
}

func BenchmarkDecodeSnapshot(b *testing.B) {
	s := benchSnapshot()
	text, _ := EncodeSnapshot(s)
	b.Run("shared", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeSnapshot([]byte(text)); err != nil {
				b.Fatal(err)
			}
		}
	})
	legacy := map[string]map[string]legacyBenchValue{}
	for o, keys := range s {
		legacy[o] = map[string]legacyBenchValue{}
		for k, v := range keys {
			legacy[o][k] = legacyBenchValue(v)
		}
	}
	old, _ := json.Marshal(legacy)
	b.Run("legacy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var d map[string]map[string]legacyBenchValue
			if err := json.Unmarshal(old, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
