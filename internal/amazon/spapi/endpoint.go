package spapi

import (
	"fmt"
	"runtime"
	"strings"
)

// hosts maps an SP-API region to its production host.
var hosts = map[string]string{
	"na": "sellingpartnerapi-na.amazon.com",
	"eu": "sellingpartnerapi-eu.amazon.com",
	"fe": "sellingpartnerapi-fe.amazon.com",
}

// Endpoint returns the base URL of the Selling Partner API in region ("na",
// "eu" or "fe", in any case), or of its sandbox when sandbox is true.
func Endpoint(region string, sandbox bool) (string, error) {
	host, ok := hosts[strings.ToLower(strings.TrimSpace(region))]
	if !ok {
		return "", fmt.Errorf("spapi: region %q is unknown: use na (North America and Brazil), eu (Europe, Middle East, India) or fe (Japan, Australia, Singapore)", region)
	}
	if sandbox {
		host = "sandbox." + host
	}
	return "https://" + host, nil
}

// maxUserAgentLength is the longest User-Agent Amazon accepts; longer ones
// make it reject the request.
const maxUserAgentLength = 500

// userAgent builds the User-Agent Amazon requires:
// "AppName/Version (Language=Go/<version>; Platform=<GOOS>)". The app name
// and version are escaped the way Amazon requires, with a backslash before
// each of \ / ( ) = ;.
func userAgent(appName, appVersion string) (string, error) {
	language := strings.TrimPrefix(runtime.Version(), "go")
	agent := fmt.Sprintf("%s/%s (Language=Go/%s; Platform=%s)",
		escapeUserAgentValue(appName), escapeUserAgentValue(appVersion), language, runtime.GOOS)
	if len(agent) > maxUserAgentLength {
		return "", fmt.Errorf("spapi: user agent is %d characters long, Amazon rejects more than %d: shorten the app name or version", len(agent), maxUserAgentLength)
	}
	return agent, nil
}

// userAgentEscaper puts a backslash before each character Amazon reserves
// in User-Agent values.
var userAgentEscaper = strings.NewReplacer(
	`\`, `\\`,
	`/`, `\/`,
	`(`, `\(`,
	`)`, `\)`,
	`=`, `\=`,
	`;`, `\;`,
)

func escapeUserAgentValue(value string) string {
	return userAgentEscaper.Replace(value)
}
