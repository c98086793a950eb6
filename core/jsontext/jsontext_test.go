package jsontext

import (
	"encoding/json"
	"testing"
)

// FuzzAppendString checks AppendString against json.Marshal, byte for byte.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "<script>&</script>", "tab\tnew\nline\r",
		"\x00\x01\x1f\x7f", "é ü 世界 🎉", "\u2028\u2029", "bad \xff utf-8 \xc3", "\xed\xa0\x80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got[1:], want)
		}
	})
}
