package tenantsetup

import "errors"

// ErrConfig is wrapped by every error about a setting: missing,
// malformed, or naming something that does not exist.
var ErrConfig = errors.New("tenantsetup: bad configuration")
