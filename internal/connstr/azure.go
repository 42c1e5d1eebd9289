package connstr

import (
	"net"
	"strings"
)

// AzureKind says which Azure Redis service a host name belongs to.
// StackExchange.Redis picks its AzureOptionsProvider or
// AzureManagedRedisOptionsProvider from the same suffixes, and
// Aspire.Microsoft.Azure.StackExchangeRedis applies Entra ID only to them.
type AzureKind int

const (
	// NotAzure is any other host.
	NotAzure AzureKind = iota
	// AzureCacheForRedis is Azure Cache for Redis: TLS by default when an
	// endpoint names port 6380, abortConnect false.
	AzureCacheForRedis
	// AzureManagedRedis is Azure Managed Redis (port 10000): TLS by
	// default, abortConnect false, RESP3.
	AzureManagedRedis
)

// String returns "none", "Azure Cache for Redis" or "Azure Managed Redis".
func (k AzureKind) String() string {
	switch k {
	case AzureCacheForRedis:
		return "Azure Cache for Redis"
	case AzureManagedRedis:
		return "Azure Managed Redis"
	}
	return "none"
}

// Host suffixes, public cloud first, then the sovereign clouds, as in
// StackExchange.Redis's AzureOptionsProvider and
// AzureManagedRedisOptionsProvider (src/StackExchange.Redis/Configuration,
// checked against commit 90bbf1f, 3.1). ".redisenterprise.cache.azure.net"
// (Azure Cache for Redis Enterprise, the predecessor of Azure Managed
// Redis) belongs to the managed provider there.
var (
	azureCacheSuffixes = []string{
		".redis.cache.windows.net",
		".redis.cache.chinacloudapi.cn",
		".redis.cache.usgovcloudapi.net",
		".redis.cache.sovcloud-api.de",
		".redis.cache.sovcloud-api.fr",
	}
	azureManagedSuffixes = []string{
		".redis.azure.net",
		".redis.chinacloudapi.cn",
		".redis.usgovcloudapi.net",
		".redis.sovcloud-api.de",
		".redis.sovcloud-api.fr",
		".redisenterprise.cache.azure.net",
	}
)

// AzureHostKind returns the Azure Redis service that host (a DNS name,
// without port) belongs to, matching its suffix in any case, as
// StackExchange.Redis's providers do (string.EndsWith, ignoring case).
func AzureHostKind(host string) AzureKind {
	h := strings.ToLower(host)
	for _, s := range azureCacheSuffixes {
		if strings.HasSuffix(h, s) {
			return AzureCacheForRedis
		}
	}
	for _, s := range azureManagedSuffixes {
		if strings.HasSuffix(h, s) {
			return AzureManagedRedis
		}
	}
	return NotAzure
}

// azureKindOf picks the provider StackExchange.Redis's
// DefaultOptionsProvider.GetProvider picks for a list of endpoints: the
// first provider (Azure Cache for Redis, then Azure Managed Redis) that
// matches any host-name endpoint. IP addresses and sockets never match.
func azureKindOf(eps []endpoint) AzureKind {
	for _, kind := range []AzureKind{AzureCacheForRedis, AzureManagedRedis} {
		for _, e := range eps {
			if !e.unix && !isIPLiteral(e.host) && AzureHostKind(e.host) == kind {
				return kind
			}
		}
	}
	return NotAzure
}

// azureDefaultSsl is the provider's GetDefaultSsl, used when ssl is not
// set: always for Azure Managed Redis; for Azure Cache for Redis when an
// endpoint names port 6380 (the ports as written, before the defaults).
func azureDefaultSsl(kind AzureKind, eps []endpoint) bool {
	switch kind {
	case AzureManagedRedis:
		return true
	case AzureCacheForRedis:
		for _, e := range eps {
			if !e.unix && e.port == defaultTLSPort {
				return true
			}
		}
	}
	return false
}

// AzureEndpoint returns the host of the first of endpoints (host:port, as
// in Connection.Endpoints) that belongs to the Azure service
// StackExchange.Redis picks for them (Connection.Azure), and that service;
// "" and NotAzure when none does.
func AzureEndpoint(endpoints []string) (string, AzureKind) {
	for _, kind := range []AzureKind{AzureCacheForRedis, AzureManagedRedis} {
		for _, ep := range endpoints {
			host := ep
			if h, _, err := net.SplitHostPort(ep); err == nil {
				host = h
			}
			if !isIPLiteral(host) && AzureHostKind(host) == kind {
				return host, kind
			}
		}
	}
	return "", NotAzure
}
