// Package fixes checks the suggested fixes.
package fixes

import (
	"context"
	"net/http"

	"gorm.io/gorm"
)

type User struct {
	ID   uint
	Pets []Pet
}

type Pet struct{ ID, UserID uint }

type Server struct{ DB *gorm.DB }

func (s *Server) base() *gorm.DB { return s.DB.Model(&User{}) } // want base:`returns\(noctx\)`

func (s *Server) list(ctx context.Context) {
	var users []User
	var u User
	s.DB.Where("id > ?", 1).Find(&users)                     // want `Find on a GORM chain without a context`
	s.DB.Model(&u).Association("Pets").Find(&u.Pets)         // want `Association Find on a GORM chain without a context`
	s.base().Find(&users)                                    // want `Find on a GORM chain without a context`
	(s.DB).Find(&users)                                      // want `Find on a GORM chain without a context`
	s.DB.WithContext(context.Background()).Find(&users)      // want `given context.Background\(\)`
	_, _ = gorm.G[User](s.DB).Find(context.TODO())           // want `Find given context.TODO\(\)`
	s.DB.Transaction(func(tx *gorm.DB) error { return nil }) // want `Transaction on a GORM chain without a context`
}

func (s *Server) variable(ctx context.Context) {
	var users []User
	q := s.DB.Where("id > ?", 1)
	q = q.Order("id")
	q.Find(&users) // want `Find on a GORM chain without a context`
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var users []User
	s.DB.Find(&users) // want `add .WithContext\(r.Context\(\)\)`
}

func Handler(db *gorm.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var users []User
		db.Find(&users) // want `add .WithContext\(r.Context\(\)\)`
	}
}

// Two contexts: no fix, the choice is the author's.
func (s *Server) two(ctx, other context.Context) {
	var users []User
	s.DB.Find(&users) // want `Find on a GORM chain without a context`
}

// An Association variable has no WithContext: no fix.
func (s *Server) association(ctx context.Context, u *User) {
	a := s.DB.Model(u).Association("Pets")
	a.Find(&u.Pets) // want `Association Find on a GORM chain without a context`
}

type Repo struct{ *gorm.DB }

func (r Repo) list(ctx context.Context) {
	var users []User
	r.Where("id > ?", 1).Find(&users) // want `Find on a GORM chain without a context`
}
