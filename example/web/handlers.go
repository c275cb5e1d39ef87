package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"

	"github.com/go-chi/chi/v5"
	"gorm.io/gorm"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// MaxBody bounds a request body, in bytes.
const MaxBody = 1 << 16

//go:embed static/index.html
var static embed.FS

// page is the dashboard, filled with the tenant's name.
var page = template.Must(template.ParseFS(static, "static/index.html"))

// HospitalView and PatientView are the JSON forms of the models.
type HospitalView struct {
	ID      uint   `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
}

type PatientView struct {
	ID    uint   `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Enqueuer queues a task for the tenant of ctx: the embedded default's
// in-process runner, or an asynq client behind package tasks.
type Enqueuer interface {
	Enqueue(ctx context.Context, typ string, payload []byte) error
}

// ListCache keeps the JSON of a tenant's list between requests; a list
// is named after its table (ListHospitals). List returns the cached
// body of the tenant in ctx or, on a miss, put, which stores the body
// read from the database; a cache that fails is a miss (the database
// answers), and put then stores nothing.
type ListCache interface {
	List(ctx context.Context, name string) (cached []byte, put func(body []byte))
}

// ListHospitals is the name of the hospitals list in a ListCache.
const ListHospitals = "hospitals"

// Handlers serve the dashboard's routes. DB is the application's
// *gorm.DB; every query passes the request's context, so with the
// plugin installed it reaches the request's tenant, and without it the
// one database DB opens. Cache, when not nil, keeps the hospitals list.
type Handlers struct {
	DB    *gorm.DB
	Tasks Enqueuer
	Log   *slog.Logger
	Cache ListCache
}

// HealthPath is the route that needs no tenant.
const HealthPath = "/healthz"

// Mount adds the routes to r: GET / (the page), GET /api/hospitals,
// GET /api/patients, POST /api/patients and GET /healthz.
func (h Handlers) Mount(r chi.Router) {
	r.Get(HealthPath, h.health)
	r.Get("/", h.index)
	r.Get("/api/hospitals", h.hospitals)
	r.Get("/api/patients", h.patients)
	r.Post("/api/patients", h.addPatient)
}

// NewRouter returns the routes behind the tenant middleware of reg, the
// tenant taken from the request's host; HealthPath needs no tenant.
func NewRouter(reg tenantchi.Registry, h Handlers) (http.Handler, error) {
	mw, err := tenantchi.Middleware(reg, tenantchi.WithBypassPatterns(HealthPath))
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(mw)
	h.Mount(r)
	return r, nil
}

func (h Handlers) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h Handlers) index(w http.ResponseWriter, r *http.Request) {
	id, _ := tenant.FromContext(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := page.Execute(w, struct{ Tenant string }{id}); err != nil {
		h.Log.Error("rendering the page", "err", err)
	}
}

func (h Handlers) hospitals(w http.ResponseWriter, r *http.Request) {
	var put func([]byte)
	if h.Cache != nil {
		var cached []byte
		if cached, put = h.Cache.List(r.Context(), ListHospitals); cached != nil {
			writeBody(w, http.StatusOK, cached)
			return
		}
	}
	var rows []hospital.Hospital
	if err := h.DB.WithContext(r.Context()).Order("id").Find(&rows).Error; err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]HospitalView, len(rows))
	for i, x := range rows {
		out[i] = HospitalView{x.ID, x.Name, x.Address}
	}
	body, err := marshal(out)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if put != nil {
		put(body)
	}
	writeBody(w, http.StatusOK, body)
}

func (h Handlers) patients(w http.ResponseWriter, r *http.Request) {
	var rows []hospital.Patient
	if err := h.DB.WithContext(r.Context()).Order("id").Find(&rows).Error; err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]PatientView, len(rows))
	for i, x := range rows {
		out[i] = PatientView{x.ID, x.Name, x.Email}
	}
	writeJSON(w, http.StatusOK, out)
}

// addPatient checks the body and queues the insert for the tenant's
// task runner: 202 once queued, 400 for a bad body, 409 for an email
// the tenant has already.
func (h Handlers) addPatient(w http.ResponseWriter, r *http.Request) {
	p, err := decodePatient(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// The task's insert refuses a duplicate anyway (unique index); this
	// tells the caller now, for the common case.
	var n int64
	if err := h.DB.WithContext(r.Context()).Model(&hospital.Patient{}).Where("email = ?", p.Email).Count(&n).Error; err != nil {
		h.fail(w, r, err)
		return
	}
	if n > 0 {
		writeError(w, http.StatusConflict, "a patient with this email exists")
		return
	}
	payload, err := json.Marshal(p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Tasks.Enqueue(r.Context(), hospital.TaskAddPatient, payload); err != nil {
		h.Log.Error("queueing a task", "err", err, "path", r.URL.Path)
		writeError(w, http.StatusServiceUnavailable, "the task queue is not taking tasks; try again")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
}

// decodePatient reads one JSON object {"name","email"}: a name that is
// not blank and a plain email address, nothing else.
func decodePatient(body io.Reader) (hospital.AddPatient, error) {
	var p hospital.AddPatient
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, errors.New("the body must be a JSON object {\"name\", \"email\"}")
	}
	if dec.More() {
		return p, errors.New("the body must hold one JSON object")
	}
	p.Name, p.Email = strings.TrimSpace(p.Name), strings.TrimSpace(p.Email)
	if p.Name == "" {
		return p, errors.New("name is required")
	}
	if len(p.Name) > 200 {
		return p, errors.New("name is too long")
	}
	a, err := mail.ParseAddress(p.Email)
	if err != nil || a.Address != p.Email || a.Name != "" || len(p.Email) > 254 {
		return p, errors.New("email is not a valid address")
	}
	return p, nil
}

// fail answers 500 and logs err, which stays out of the response.
func (h Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("request failed", "err", err, "path", r.URL.Path)
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// marshal returns v in JSON as writeJSON writes it: with a newline.
func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(b, '\n'), err
}

// writeBody writes a JSON body made by marshal.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
