package hospital_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/example/hospital"
)

// TestAddPatientHandlerBadPayload: a payload that does not decode is
// refused before any statement (the handler has no database here), with
// an error naming the task.
func TestAddPatientHandlerBadPayload(t *testing.T) {
	h := hospital.AddPatientHandler(nil)
	for _, p := range []string{"", "{", `{"name":1}`, "[]"} {
		err := h(context.Background(), []byte(p))
		if err == nil || !strings.Contains(err.Error(), hospital.TaskAddPatient) {
			t.Errorf("payload %q: %v", p, err)
		}
	}
}
