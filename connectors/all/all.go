// Package all links every CRM connector into the binary: each registers
// itself with core/connector from its init, so main imports this package
// for its side effects and never names a connector, as rclone's backend/all
// does.
package all

import (
	// Connectors, one per CRM; add new ones here.
	_ "github.com/rfmsync/rfmsync/connectors/hubspot"
	_ "github.com/rfmsync/rfmsync/connectors/salesforce"
	_ "github.com/rfmsync/rfmsync/connectors/vtenext"
)
