package ratelimit

import (
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in        string
		limit     int64
		period    time.Duration
		formatted string
		wantErr   bool
	}{
		{in: "1/second", limit: 1, period: time.Second, formatted: "1/second"},
		{in: "100/minute", limit: 100, period: time.Minute, formatted: "100/minute"},
		{in: "1000/hour", limit: 1000, period: time.Hour, formatted: "1000/hour"},
		{in: "2000/day", limit: 2000, period: 24 * time.Hour, formatted: "2000/day"},
		{in: "  10/hour\n", limit: 10, period: time.Hour, formatted: "10/hour"},
		{in: "10/Hour", limit: 10, period: time.Hour, formatted: "10/hour"},
		{in: "007/minute", limit: 7, period: time.Minute, formatted: "7/minute"},
		{in: "9223372036854775807/day", limit: 9223372036854775807, period: 24 * time.Hour, formatted: "9223372036854775807/day"},
		{in: "", wantErr: true},
		{in: "100", wantErr: true},
		{in: "100-H", wantErr: true},
		{in: "100/", wantErr: true},
		{in: "/hour", wantErr: true},
		{in: "0/hour", wantErr: true},
		{in: "-5/hour", wantErr: true},
		{in: "+5/hour", wantErr: true},
		{in: "5.5/hour", wantErr: true},
		{in: "5 /hour", wantErr: true},
		{in: "5/ hour", wantErr: true},
		{in: "5/hours", wantErr: true},
		{in: "5/week", wantErr: true},
		{in: "5/hour/day", wantErr: true},
		{in: "9223372036854775808/day", wantErr: true},
		{in: "١٠/hour", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseRate(%q) = %+v, want an error", tt.in, got)
				}
				if !domain.IsKind(err, domain.KindInvalid) {
					t.Errorf("error kind = %q, want %q", domain.KindOf(err), domain.KindInvalid)
				}
				if !strings.Contains(err.Error(), RateFormat) {
					t.Errorf("error %q does not name the format", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRate(%q): %v", tt.in, err)
			}
			if got.Limit != tt.limit || got.Period != tt.period || got.Formatted != tt.formatted {
				t.Errorf("ParseRate(%q) = %+v, want limit %d period %s formatted %q", tt.in, got, tt.limit, tt.period, tt.formatted)
			}
		})
	}
}
