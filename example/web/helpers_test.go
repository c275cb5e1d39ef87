package web_test

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/tenantrouter/tenantplugin/example/web"
)

// chiRouter mounts h without the tenant middleware, on one database.
func chiRouter(h web.Handlers) http.Handler {
	r := chi.NewRouter()
	h.Mount(r)
	return r
}
