package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/configmat/configmat/core/domain"
)

// contentTypeJSON is the media type of every body the API sends.
const contentTypeJSON = "application/json"

// valueJSON is the Content-Type header value of every body, shared.
var valueJSON = []string{contentTypeJSON}

// writeBody sends an already encoded JSON body.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h[headerContentType] = valueJSON
	h[headerContentLength] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// respond encodes v as the JSON body of a status answer.
func respond(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return domain.Wrap(err, "could not encode the response")
	}
	writeBody(w, status, body)
	return nil
}

// noContent answers 204 with no body.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
