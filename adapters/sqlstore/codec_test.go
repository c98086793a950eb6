package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
)

func TestSnapshotRoundTripsExactly(t *testing.T) {
	cases := map[string]domain.Snapshot{
		"Empty": {},
		"Values": {
			"app": {
				"object": {Value: json.RawMessage(`{"b": 1,  "a":[1.50, 1e2]}`)},
				"null":   {Value: json.RawMessage(`null`)},
				"html":   {Value: json.RawMessage(`"<&>"`)},
			},
			"secrets": {"password": {Secret: true, Sealed: []byte{0, 1, 0xfe, 0xff}}},
		},
	}
	for name, snapshot := range cases {
		t.Run(name, func(t *testing.T) {
			encoded, err := EncodeSnapshot(snapshot)
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := DecodeSnapshot([]byte(encoded))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decoded, snapshot) {
				t.Fatalf("round trip = %#v, want %#v", decoded, snapshot)
			}
		})
	}
	if _, err := DecodeSnapshot([]byte(`[1]`)); err == nil {
		t.Error("decoding a JSON array as a snapshot succeeded")
	}
}

func TestTimesRoundTripInBothDatabasesForms(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 30, 45, 123456789, time.FixedZone("CET", 3600))
	want := at.Truncate(time.Microsecond).UTC()
	text := stamp(at)
	if text != "2026-12-01T11:30:45.123456Z" {
		t.Fatalf("stamp = %q", text)
	}
	for name, src := range map[string]any{"PostgreSQL": want.In(time.FixedZone("X", -7200)), "SQLiteText": text, "SQLiteBytes": []byte(text)} {
		var d dbTime
		if err := d.Scan(src); err != nil || !d.Time.Equal(want) || d.Time.Location() != time.UTC {
			t.Errorf("%s: Scan = %v, %v; want %v in UTC", name, d.Time, err, want)
		}
	}
	var o optionalTime
	if err := o.Scan(nil); err != nil || o.Time != nil {
		t.Errorf("NULL: %v, %v", o.Time, err)
	}
	for _, bad := range []any{42, "yesterday"} {
		var d dbTime
		if err := d.Scan(bad); err == nil {
			t.Errorf("Scan(%v) succeeded", bad)
		}
	}
}
