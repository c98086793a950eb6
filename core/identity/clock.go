package identity

import "time"

// now is the service's current time in UTC, at the microsecond precision the
// stores keep, so that what a call returns equals what a later read returns.
func (s *Service) now() time.Time { return s.deps.Clock.Now().UTC().Truncate(time.Microsecond) }
