package sqlstore

import (
	"testing"
)

// BenchmarkEncodeSnapshot measures the stored text of a 1,000-key snapshot
// (benchSnapshot), which every new version writes.
func BenchmarkEncodeSnapshot(b *testing.B) {
	s := benchSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSnapshot(s); err != nil {
			b.Fatal(err)
		}
	}
}
