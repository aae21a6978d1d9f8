package main

import (
	"net/url"

	"github.com/edgexfoundry/go-mod-core-contracts/v4/common"
)

// escapeNames prints, for each argument, go-mod-core-contracts' common.URLEncode (what a service with
// Service.EnableNameFieldEscape puts in a topic level) and Go's url.PathUnescape of the argument
// (what every EdgeX receiver does to a level). No broker needed.
func escapeNames(args []string) error {
	for _, name := range args {
		unescaped, err := url.PathUnescape(name)
		record := map[string]any{"name": name, "escaped": common.URLEncode(name), "unescaped": unescaped}
		if err != nil {
			record["unescaped"], record["unescapeError"] = nil, err.Error()
		}
		emit(record)
	}
	return nil
}
