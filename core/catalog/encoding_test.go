package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

func TestResolvedEncoded(t *testing.T) {
	tests := []struct {
		name string
		r    Resolved
		want string
	}{
		{"no values", Resolved{Asset: "a", Environment: "prod"}, `{"asset":"a","environment":"prod","version":0,"config":{}}`},
		{"values", Resolved{Asset: "a", Environment: "prod", Version: 2, Config: map[string]map[string]json.RawMessage{"db": {"host": json.RawMessage(`"h"`)}}},
			`{"asset":"a","environment":"prod","version":2,"config":{"db":{"host":"h"}}}`},
	}
	for _, tt := range tests {
		for _, shared := range []bool{false, true} {
			r := tt.r
			if shared {
				r.encoding = &resolvedEncoding{}
			}
			body, digest, err := r.Encoded()
			if err != nil || string(body) != tt.want {
				t.Fatalf("%s: Encoded() = %s, %v; want %s", tt.name, body, err, tt.want)
			}
			sum := sha256.Sum256([]byte(tt.want))
			if digest != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: digest %s is not the SHA-256 of the body", tt.name, digest)
			}
			if shared {
				again, _, _ := r.Encoded()
				if &again[0] != &body[0] {
					t.Errorf("%s: a shared resolution was encoded twice", tt.name)
				}
			}
		}
	}
}
