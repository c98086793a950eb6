package httpapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/configmat/configmat/core/domain"
)

// invalidField is a VALIDATION_ERROR naming one bad field or parameter.
func invalidField(field, problem string) error {
	p := domain.Problems{}
	p.Add(field, problem)
	return p.Err()
}

// pathVar returns a route variable, decoded: the router matches the encoded
// path (see routingPath), so "billing%2Fx" is the slug "billing/x". The
// polled route's slug is in the request state (see withPollRoute).
func pathVar(r *http.Request, name string) string {
	var v string
	if st, ok := lookupState(r.Context()); ok && name == "slug" && st.slug != "" {
		v = st.slug // matched by withPollRoute, not the router
	} else {
		v = mux.Vars(r)[name]
	}
	if text, err := url.PathUnescape(v); err == nil {
		return text
	}
	return v
}

// requiredQuery returns a query parameter that must be present and non-empty.
func requiredQuery(r *http.Request, name string) (string, error) {
	return required(name, queryValue(r.URL.RawQuery, name))
}

// required returns v, the value of the query parameter name, or the error
// of a missing one when it is empty.
func required(name, v string) (string, error) {
	if v == "" {
		return "", invalidField(name, "is required")
	}
	return v, nil
}

// queryScanMax is the number of parameters from which queryValues defers to
// url.ParseQuery: far below its limit, far above any real query.
const queryScanMax = 100

// queryValue returns what url.ParseQuery(rawQuery).Get(name) returns (see
// queryValues).
func queryValue(rawQuery, name string) string {
	var v [1]string
	queryValues(rawQuery, []string{name}, v[:])
	return v[0]
}

// queryValues sets each values[i] to what url.ParseQuery(rawQuery).Get
// returns for names[i] (at most 64 names), the first value of the name,
// decoded, in one pass over the query and without building the map of every
// parameter: pairs are split at '&'; a pair holding ';', or whose key or
// value does not decode, is skipped, as ParseQuery skips it. A query of
// queryScanMax parameters or more is left to url.ParseQuery itself, which
// refuses too many (GODEBUG urlmaxqueryparams).
func queryValues(rawQuery string, names, values []string) {
	if len(names) > 64 {
		panic("httpapi: queryValues reads at most 64 names") // a programming error: found is a uint64
	}
	clear(values)
	if strings.Count(rawQuery, "&") >= queryScanMax {
		q, _ := url.ParseQuery(rawQuery)
		for i, name := range names {
			values[i] = q.Get(name)
		}
		return
	}
	var found uint64
	all := uint64(1)<<len(names) - 1
	for rest := rawQuery; rest != "" && found != all; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		var decodedKey, decodedValue string
		var keyErr error
		keyDecoded, valueDecoded := false, false
		for i, name := range names {
			if found&(1<<i) != 0 {
				continue
			}
			if key != name {
				if !strings.ContainsAny(key, "%+") {
					continue
				}
				if !keyDecoded {
					decodedKey, keyErr = url.QueryUnescape(key)
					keyDecoded = true
				}
				if keyErr != nil || decodedKey != name {
					continue
				}
			}
			if !valueDecoded {
				v, err := url.QueryUnescape(value)
				if err != nil {
					break // the pair is skipped for every name
				}
				decodedValue, valueDecoded = v, true
			}
			values[i] = decodedValue
			found |= 1 << i
		}
	}
}

// limitQuery reads ?limit=, an integer from 1 to domain.MaxPageSize, with
// domain.DefaultPageSize when absent.
func limitQuery(r *http.Request) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return domain.DefaultPageSize, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > domain.MaxPageSize {
		return 0, invalidField("limit", fmt.Sprintf("must be an integer from 1 to %d", domain.MaxPageSize))
	}
	return n, nil
}

// nonNegativeQuery reads an optional integer query parameter that must be 0
// or more; absent is 0.
func nonNegativeQuery(r *http.Request, name string) (int64, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, invalidField(name, "must be an integer of 0 or more")
	}
	return n, nil
}

// positivePathInt reads a path variable that must be an integer of 1 or more.
func positivePathInt(r *http.Request, name string) (int, error) {
	n, err := strconv.Atoi(pathVar(r, name))
	if err != nil || n < 1 {
		return 0, invalidField(name, "must be an integer of 1 or more")
	}
	return n, nil
}

// cursorPrefix starts every page cursor the API hands out, before base64,
// so that a cursor the API did not write is told apart and refused.
const cursorPrefix = "configmat-page:"

// cursorQuery reads ?cursor=, a next_cursor this API answered, and returns
// the store's position inside it ("" when absent). Anything else is a
// VALIDATION_ERROR naming cursor: a cursor is opaque, never a slug or an
// offset a client writes, and a bad one must not silently restart the
// listing from its first page.
func cursorQuery(r *http.Request) (string, error) {
	raw := r.URL.Query().Get("cursor")
	if raw == "" {
		return "", nil
	}
	decoded, err := base64.RawURLEncoding.DecodeString(raw)
	position, ok := strings.CutPrefix(string(decoded), cursorPrefix)
	if err != nil || !ok || position == "" {
		return "", invalidField("cursor", "must be a next_cursor of an earlier page")
	}
	return position, nil
}

// pageCursor writes the store's position as the next_cursor that
// cursorQuery reads back; "" (the end) stays "".
func pageCursor(position string) string {
	if position == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + position))
}

// nextCursor is the JSON value of a listing's next_cursor: null at the end.
func nextCursor(cursor string) *string {
	if cursor == "" {
		return nil
	}
	return &cursor
}

// positiveQuery reads a required integer query parameter of 1 or more.
func positiveQuery(r *http.Request, name string) (int64, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0, invalidField(name, "is required")
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 1 {
		return 0, invalidField(name, "must be an integer of 1 or more")
	}
	return n, nil
}
