package hospital

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
)

// TaskAddPatient is the type name of the task that adds a [Patient]
// to the tenant of its context; its payload is an [AddPatient] in JSON.
const TaskAddPatient = "patient:add"

// AddPatient is the payload of a [TaskAddPatient] task.
type AddPatient struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// AddPatientHandler returns the handler of [TaskAddPatient]: it inserts
// the patient with db in the task's context, so into the database of
// the tenant the context carries (the in-process runner and the
// tenanttask middleware put it there). A payload that does not decode
// is refused and nothing is written.
func AddPatientHandler(db *gorm.DB) func(ctx context.Context, payload []byte) error {
	return func(ctx context.Context, payload []byte) error {
		var p AddPatient
		if err := json.Unmarshal(payload, &p); err != nil {
			return fmt.Errorf("hospital: %s payload: %w", TaskAddPatient, err)
		}
		return db.WithContext(ctx).Create(&Patient{Name: p.Name, Email: p.Email}).Error
	}
}
