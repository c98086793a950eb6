package httpapi

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/domain"
)

// recoverPanics turns a handler's panic into a 500 INTERNAL_ERROR answer; the
// panic value and stack go to the log under the request ID, never to the body.
// http.ErrAbortHandler keeps its meaning: the connection is dropped.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, ok := w.(*statusRecorder)
		if !ok {
			rec = &statusRecorder{ResponseWriter: w}
		}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			LoggerFromContext(r.Context()).WithFields(logrus.Fields{
				"error": fmt.Sprintf("panic: %v", v),
				"stack": string(debug.Stack()),
			}).Error("request failed")
			if rec.wroteHeader() {
				panic(http.ErrAbortHandler)
			}
			writeErrorBody(rec, r, http.StatusInternalServerError, string(domain.KindInternal), internalMessage, map[string]any{})
		}()
		next.ServeHTTP(rec, r)
	})
}
