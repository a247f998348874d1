package devstack

import "go.temporal.io/sdk/temporal"

// SearchAttributeNames are the custom search attributes that governed action
// workflows set, all of type Keyword. They must match the names in package
// workflows. This package does not import workflows, so that the workflows
// package's own tests can use test helpers built on it.
var SearchAttributeNames = []string{"NotERPTenant", "NotERPKind", "NotERPStatus", "NotERPResource"}

// SearchAttributes returns SearchAttributeNames as Keyword search attributes,
// in the form testsuite.DevServerOptions takes.
func SearchAttributes() temporal.SearchAttributes {
	updates := make([]temporal.SearchAttributeUpdate, 0, len(SearchAttributeNames))
	for _, name := range SearchAttributeNames {
		updates = append(updates, temporal.NewSearchAttributeKeyKeyword(name).ValueSet(""))
	}
	return temporal.NewSearchAttributes(updates...)
}

// searchAttributeFlags returns the --search-attribute flags of
// `temporal server start-dev` that register SearchAttributeNames.
func searchAttributeFlags() []string {
	var flags []string
	for _, name := range SearchAttributeNames {
		flags = append(flags, "--search-attribute", name+"=Keyword")
	}
	return flags
}
