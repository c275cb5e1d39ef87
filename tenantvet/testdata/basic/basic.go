// Package basic has chains written in one expression.
package basic

import (
	"context"
	"net/http"

	"gorm.io/gorm"
)

type User struct {
	ID   uint
	Name string
	Pets []Pet
}

type Pet struct {
	ID     uint
	UserID uint
}

type Server struct {
	DB *gorm.DB
}

var global *gorm.DB

// Every finisher on a field without context, with a context at hand.
func (s *Server) finishers(ctx context.Context) {
	var u User
	var users []User
	var n int64
	var names []string
	s.DB.Find(&users)                                        // want `Find on a GORM chain without a context`
	s.DB.First(&u)                                           // want `First on a GORM chain without a context`
	s.DB.Take(&u)                                            // want `Take on a GORM chain without a context`
	s.DB.Last(&u)                                            // want `Last on a GORM chain without a context`
	s.DB.Model(&User{}).Scan(&users)                         // want `Scan on a GORM chain without a context`
	s.DB.Model(&User{}).Pluck("name", &names)                // want `Pluck on a GORM chain without a context`
	s.DB.Model(&User{}).Count(&n)                            // want `Count on a GORM chain without a context`
	s.DB.Table("users").Select("name").Row()                 // want `Row on a GORM chain without a context`
	_, _ = s.DB.Table("users").Rows()                        // want `Rows on a GORM chain without a context`
	s.DB.Where(User{Name: "a"}).FirstOrCreate(&u)            // want `FirstOrCreate on a GORM chain without a context`
	s.DB.Where(User{Name: "a"}).FirstOrInit(&u)              // want `FirstOrInit on a GORM chain without a context`
	s.DB.FindInBatches(&users, 10, nil)                      // want `FindInBatches on a GORM chain without a context`
	s.DB.Create(&u)                                          // want `Create on a GORM chain without a context`
	s.DB.CreateInBatches(&users, 10)                         // want `CreateInBatches on a GORM chain without a context`
	s.DB.Save(&u)                                            // want `Save on a GORM chain without a context`
	s.DB.Model(&u).Update("name", "b")                       // want `Update on a GORM chain without a context`
	s.DB.Model(&u).Updates(User{Name: "b"})                  // want `Updates on a GORM chain without a context`
	s.DB.Model(&u).UpdateColumn("name", "b")                 // want `UpdateColumn on a GORM chain without a context`
	s.DB.Model(&u).UpdateColumns(User{Name: "b"})            // want `UpdateColumns on a GORM chain without a context`
	s.DB.Delete(&u)                                          // want `Delete on a GORM chain without a context`
	s.DB.Exec("DELETE FROM users")                           // want `Exec on a GORM chain without a context`
	s.DB.Raw("SELECT * FROM users").Scan(&users)             // want `Scan on a GORM chain without a context`
	s.DB.Begin()                                             // want `Begin on a GORM chain without a context`
	s.DB.AutoMigrate(&User{})                                // want `AutoMigrate on a GORM chain without a context`
	s.DB.Migrator().HasTable("users")                        // want `Migrator on a GORM chain without a context`
	s.DB.Model(&u).Association("Pets").Find(&u.Pets)         // want `Association Find on a GORM chain without a context`
	s.DB.Model(&u).Association("Pets").Append(&Pet{})        // want `Association Append on a GORM chain without a context`
	s.DB.Model(&u).Association("Pets").Count()               // want `Association Count on a GORM chain without a context`
	s.DB.Transaction(func(tx *gorm.DB) error { return nil }) // want `Transaction on a GORM chain without a context`
	global.Find(&users)                                      // want `Find on a GORM chain without a context`
	(s.DB).Find(&users)                                      // want `Find on a GORM chain without a context`
}

// Chains that were given a context are fine, wherever in the chain.
func (s *Server) withContext(ctx context.Context) {
	var users []User
	var u User
	s.DB.WithContext(ctx).Find(&users)
	s.DB.Where("name = ?", "a").WithContext(ctx).Find(&users)
	s.DB.Session(&gorm.Session{Context: ctx}).Find(&users)
	s.DB.Session(&gorm.Session{Context: ctx, NewDB: true}).Model(&u).Association("Pets").Find(&u.Pets)
	s.DB.WithContext(ctx).Session(&gorm.Session{SkipHooks: true}).Find(&users)
	s.DB.WithContext(ctx).Migrator().HasTable("users")
	s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return nil })
	s.DB.WithContext(context.WithoutCancel(ctx)).Find(&users)
}

// A session without Context keeps the chain's own (none here).
func (s *Server) session(ctx context.Context) {
	var users []User
	s.DB.Session(&gorm.Session{SkipHooks: true}).Find(&users) // want `Find on a GORM chain without a context`
	opts := &gorm.Session{Context: ctx}
	s.DB.Session(opts).Find(&users) // not followed: not reported
}

// context.Background() and context.TODO() carry no tenant.
func (s *Server) background(ctx context.Context) {
	var users []User
	s.DB.WithContext(context.Background()).Find(&users)                  // want `Find on a GORM chain given context.Background\(\), which carries no tenant: pass ctx`
	s.DB.Session(&gorm.Session{Context: context.TODO()}).Find(&users)    // want `Find on a GORM chain given context.TODO\(\), which carries no tenant`
	s.DB.WithContext(ctx).WithContext(context.Background()).Find(&users) // want `given context.Background`
}

// With no context or request at hand there is nothing to pass: not
// reported (start-up code, migrations, tests of the fail-closed path).
func (s *Server) noContext() {
	var users []User
	s.DB.Find(&users)
	s.DB.AutoMigrate(&User{})
	s.DB.WithContext(context.Background()).Find(&users)
	global.Find(&users)
}

// A blank context parameter is not at hand.
func (s *Server) blank(_ context.Context) {
	var users []User
	s.DB.Find(&users)
}

// A handler has the request's context.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var users []User
	s.DB.Find(&users) // want `Find on a GORM chain without a context: the statement has no tenant; add .WithContext\(r.Context\(\)\)`
	s.DB.WithContext(r.Context()).Find(&users)
}

// A context declared later is not at hand yet.
func (s *Server) later(r *http.Request) {
	var users []User
	s.DB.Find(&users) // want `add .WithContext\(r.Context\(\)\)`
	ctx := r.Context()
	s.DB.Find(&users) // want `add .WithContext\(ctx\)`
	_ = ctx
}

// Two contexts: reported, but the fix would have to guess which.
func (s *Server) two(ctx, other context.Context) {
	var users []User
	s.DB.Find(&users) // want `add .WithContext\(ctx\)$`
}

// A type that implements context.Context counts.
type reqCtx struct{ context.Context }

func (s *Server) custom(c reqCtx) {
	var users []User
	s.DB.Find(&users) // want `add .WithContext\(c\)`
}

// gorm.Open gives a root without context, once the plugin is installed.
func open(ctx context.Context, d gorm.Dialector, plugin gorm.Plugin) error {
	db, err := gorm.Open(d)
	if err != nil {
		return err
	}
	if err := db.Use(plugin); err != nil {
		return err
	}
	var users []User
	return db.Find(&users).Error // want `Find on a GORM chain without a context`
}

// A database opened without a plugin (a plain connection, in a test or a
// tool) needs no tenant: not reported.
func openPlain(ctx context.Context, d gorm.Dialector) error {
	plain, err := gorm.Open(d)
	if err != nil {
		return err
	}
	var users []User
	return plain.Find(&users).Error
}

// A parameter may already carry the caller's context: not reported.
func param(ctx context.Context, db *gorm.DB) {
	var users []User
	db.Find(&users)
	db.Where("name = ?", "a").Find(&users)
}

// A field this package fills with a chain that has a context is not a
// root without context.
type perRequest struct{ db *gorm.DB }

func newPerRequest(ctx context.Context, db *gorm.DB) perRequest {
	return perRequest{db: db.WithContext(ctx)}
}

func (p perRequest) list(ctx context.Context) {
	var users []User
	p.db.Find(&users)
}
