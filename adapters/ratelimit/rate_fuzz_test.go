package ratelimit

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

// FuzzParseRate checks that any text is either refused with a validation
// error naming the accepted format, or parsed into a positive limit per one
// of the four periods whose Formatted text parses back to the same rate.
func FuzzParseRate(f *testing.F) {
	for _, seed := range []string{
		"100/hour", "1/second", "10000/Minute", " 7/DAY\n", "007/minute",
		"9223372036854775807/day", "9223372036854775808/day", "0/hour", "-1/hour",
		"+5/hour", "5/ hour", "5/hours", "5", "/", "", "5/hour/day", "5/ſecond", "٣/hour",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rate, err := ParseRate(s)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInvalid || !strings.Contains(de.Message, RateFormat) {
				t.Fatalf("ParseRate(%q) = %v: want a %s error naming the format", s, err, domain.KindInvalid)
			}
			return
		}
		count, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
		if !ok {
			t.Fatalf("ParseRate(%q) accepted a rate without a slash", s)
		}
		if period, known := ratePeriods[strings.ToLower(unit)]; !known || rate.Period != period {
			t.Fatalf("ParseRate(%q) period = %v, unit %q", s, rate.Period, unit)
		}
		if n, err := strconv.ParseInt(count, 10, 64); err != nil || n != rate.Limit || n <= 0 {
			t.Fatalf("ParseRate(%q) limit = %d, count %q (%v)", s, rate.Limit, count, err)
		}
		if rate.Formatted != strconv.FormatInt(rate.Limit, 10)+"/"+strings.ToLower(unit) {
			t.Fatalf("ParseRate(%q) formatted = %q", s, rate.Formatted)
		}
		again, err := ParseRate(rate.Formatted)
		if err != nil || again != rate {
			t.Fatalf("ParseRate(%q) = %+v, %v; want %+v (round trip of %q)", rate.Formatted, again, err, rate, s)
		}
	})
}
