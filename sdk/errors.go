package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrUnreachable is matched (errors.Is) by every error that says the server
// could not be reached (connection refused, DNS, timeout, a connection cut
// before the answer) and no fallback file could answer.
var ErrUnreachable = errors.New("configmat: server unreachable")

// ErrDeleted is returned by Watch when the server said the asset was deleted.
var ErrDeleted = errors.New("configmat: asset deleted")

// ErrKeyNotFound is matched by a typed accessor's error when the object or
// key is not in the configuration.
var ErrKeyNotFound = errors.New("configmat: key not found")

// Error is an error answer of the server, in the contract's error format
// ({"error":{"code","message","details","request_id"}}). An answer without
// that body (a proxy's page) has an empty Code and the status text as
// Message.
type Error struct {
	StatusCode int
	// Code is the contract's error code, e.g. "ASSET_NOT_FOUND".
	Code      string
	Message   string
	RequestID string
	Details   map[string]any
	// RetryAfter is the answer's Retry-After (429 and 503), zero without one.
	RetryAfter time.Duration
}

// Error says the status, the code and the server's message; it never holds
// a credential (the server's messages hold none, and the SDK adds none).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("configmat: ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request ID ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// permanent reports whether retrying the same request cannot succeed: the
// credential is refused, the asset or environment does not exist, or the
// request itself is wrong.
func (e *Error) permanent() bool {
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusNotFound:
		// NOT_FOUND is an unknown route: a server or proxy without it.
		return e.Code != "" && e.Code != "NOT_FOUND"
	}
	return false
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// maxRetryAfter bounds how long a Retry-After can hold the SDK back.
const maxRetryAfter = 10 * time.Minute

// errorFrom reads the error answer resp (not 2xx or 304) into an *Error.
func errorFrom(resp *http.Response, now time.Time) *Error {
	e := &Error{StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	var body struct {
		Error *struct {
			Code      string         `json:"code"`
			Message   string         `json:"message"`
			Details   map[string]any `json:"details"`
			RequestID string         `json:"request_id"`
		} `json:"error"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if json.Unmarshal(data, &body) == nil && body.Error != nil && body.Error.Code != "" {
		e.Code, e.Message, e.Details, e.RequestID = body.Error.Code, body.Error.Message, body.Error.Details, body.Error.RequestID
	} else {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-ID")
	}
	return e
}

// retryAfter parses a Retry-After header (seconds or an HTTP date), bounded
// by maxRetryAfter; zero when absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// unreachableError is a failure to reach the server; it matches
// ErrUnreachable and unwraps to the transport's error.
type unreachableError struct {
	addr string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("configmat: cannot reach the server at %s: %v", e.addr, e.err)
}

func (e *unreachableError) Is(target error) bool { return target == ErrUnreachable }

func (e *unreachableError) Unwrap() error { return e.err }

// protocolError is an answer that does not follow the contract.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "configmat: unexpected answer: " + e.msg }

// KeyError is a typed accessor's failure for one object and key. It never
// holds the value itself, which may be a secret.
type KeyError struct {
	Object, Key string
	// Reason says what is wrong, e.g. "is a number, not a string".
	Reason string
	// Err is ErrKeyNotFound when the key is missing, else nil.
	Err error
}

func (e *KeyError) Error() string {
	return "configmat: " + e.Object + "." + e.Key + " " + e.Reason
}

func (e *KeyError) Unwrap() error { return e.Err }
