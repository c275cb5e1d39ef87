// Command single is the example hospital app written as a plain
// single-tenant GORM + chi program: one database, DATABASE_URL
// (postgres://...) or a SQLite file (-sqlite). Its twin, example/twin/multi,
// is the same program made multi-tenant.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-chi/chi/v5"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Hospital is a hospital.
type Hospital struct {
	ID      uint   `json:"id"`
	Name    string `json:"name" gorm:"not null;uniqueIndex"`
	Address string `json:"address"`
}

// Patient is a patient.
type Patient struct {
	ID    uint   `json:"id"`
	Name  string `json:"name" gorm:"not null"`
	Email string `json:"email" gorm:"not null;uniqueIndex"`
}

// AuditLog records what was done.
type AuditLog struct {
	ID     uint
	Action string
	At     time.Time
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9600", "address to listen on")
	file := flag.String("sqlite", "hospital.db", "SQLite database file, when DATABASE_URL is not set")
	flag.Parse()
	dialector := sqlite.Open(*file + "?_pragma=busy_timeout(5000)")
	if url := os.Getenv("DATABASE_URL"); url != "" {
		dialector = postgres.Open(url)
	}
	db, err := gorm.Open(dialector, &gorm.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := newServer(context.Background(), db)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	log.Print(http.ListenAndServe(*addr, srv))
}

// server is the application: its routes and its database.
type server struct {
	http.Handler
	db *gorm.DB
}

// newServer migrates the database and returns the routes.
func newServer(ctx context.Context, db *gorm.DB) (*server, error) {
	if err := db.AutoMigrate(&Hospital{}, &Patient{}, &AuditLog{}); err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/api/hospitals", func(w http.ResponseWriter, req *http.Request) {
		var hospitals []Hospital
		if err := db.Order("id").Find(&hospitals).Error; err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			return
		}
		writeJSON(w, http.StatusOK, hospitals)
	})
	r.Get("/api/patients", func(w http.ResponseWriter, req *http.Request) {
		var patients []Patient
		if err := db.Order("id").Find(&patients).Error; err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			return
		}
		writeJSON(w, http.StatusOK, patients)
	})
	r.Post("/api/patients", func(w http.ResponseWriter, req *http.Request) {
		var p Patient
		if err := json.NewDecoder(req.Body).Decode(&p); err != nil || p.Name == "" || p.Email == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"name\", \"email\"}"})
			return
		}
		p.ID = 0
		if err := db.Create(&p).Error; err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": "a patient with this email exists"})
			return
		}
		if err := db.Create(&AuditLog{Action: "patient added", At: time.Now()}).Error; err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			return
		}
		writeJSON(w, http.StatusCreated, p)
	})
	return &server{Handler: r, db: db}, nil
}

// Close closes the database.
func (s *server) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
