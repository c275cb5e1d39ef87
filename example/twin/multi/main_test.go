package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// newTestServer returns the server on a fresh database holding one
// hospital.
func newTestServer(t *testing.T) *server {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "hospital.db") + "?_pragma=busy_timeout(5000)"
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&Hospital{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&Hospital{Name: "City Hospital", Address: "1 Main Street"}).Error; err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// do serves one request and returns the status and body.
func do(srv http.Handler, method, path, body string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

func TestHospitals(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(srv, http.MethodGet, "/api/hospitals", "")
	if code != http.StatusOK || body != `[{"id":1,"name":"City Hospital","address":"1 Main Street"}]` {
		t.Fatalf("GET /api/hospitals = %d %s", code, body)
	}
}

func TestAddPatient(t *testing.T) {
	srv := newTestServer(t)
	if code, body := do(srv, http.MethodPost, "/api/patients", `{"name":"Ada","email":"ada@example.com"}`); code != http.StatusCreated {
		t.Fatalf("POST = %d %s", code, body)
	}
	if code, body := do(srv, http.MethodPost, "/api/patients", `{"name":"Ada","email":"ada@example.com"}`); code != http.StatusConflict {
		t.Fatalf("POST of the same email = %d %s", code, body)
	}
	if code, body := do(srv, http.MethodPost, "/api/patients", `{"name":""}`); code != http.StatusBadRequest {
		t.Fatalf("POST of a bad body = %d %s", code, body)
	}
	code, body := do(srv, http.MethodGet, "/api/patients", "")
	var patients []Patient
	if err := json.Unmarshal([]byte(body), &patients); err != nil || code != http.StatusOK {
		t.Fatalf("GET /api/patients = %d %s (%v)", code, body, err)
	}
	if len(patients) != 1 || patients[0].Email != "ada@example.com" {
		t.Fatalf("patients = %+v", patients)
	}
}

func TestHealth(t *testing.T) {
	srv := newTestServer(t)
	if code, body := do(srv, http.MethodGet, "/healthz", ""); code != http.StatusOK {
		t.Fatalf("GET /healthz = %d %s", code, body)
	}
}
