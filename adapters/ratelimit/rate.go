package ratelimit

import (
	"strconv"
	"strings"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/configmat/configmat/core/domain"
)

// RateFormat describes the accepted rate syntax; parse errors quote it.
const RateFormat = "N/second, N/minute, N/hour or N/day with N a positive integer"

var ratePeriods = map[string]time.Duration{
	"second": time.Second,
	"minute": time.Minute,
	"hour":   time.Hour,
	"day":    24 * time.Hour,
}

// ParseRate parses a rate written "N/second", "N/minute", "N/hour" or
// "N/day", where N is a positive decimal integer. Surrounding white space
// is ignored and the unit is matched case-insensitively. Any other input is
// a KindInvalid error naming the accepted format.
func ParseRate(s string) (limiter.Rate, error) {
	count, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return limiter.Rate{}, invalidRate(s)
	}
	unit = strings.ToLower(unit)
	period, ok := ratePeriods[unit]
	if !ok || !allDigits(count) {
		return limiter.Rate{}, invalidRate(s)
	}
	limit, err := strconv.ParseInt(count, 10, 64)
	if err != nil || limit <= 0 {
		return limiter.Rate{}, invalidRate(s)
	}
	return limiter.Rate{
		Formatted: strconv.FormatInt(limit, 10) + "/" + unit,
		Period:    period,
		Limit:     limit,
	}, nil
}

func invalidRate(s string) error {
	return domain.Errorf(domain.KindInvalid, "invalid rate %q: want %s", s, RateFormat)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
