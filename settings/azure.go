package settings

import "strings"

// AzureKind says which Azure Redis service a host name belongs to.
// StackExchange.Redis picks its AzureOptionsProvider or
// AzureManagedRedisOptionsProvider from the same suffixes, and
// Aspire.Microsoft.Azure.StackExchangeRedis applies Entra ID only to them.
type AzureKind int

const (
	// NotAzure is any other host.
	NotAzure AzureKind = iota
	// AzureCacheForRedis is Azure Cache for Redis (TLS on port 6380).
	AzureCacheForRedis
	// AzureManagedRedis is Azure Managed Redis (TLS on port 10000).
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

// Host suffixes, public cloud first, then the sovereign clouds.
var (
	azureCacheSuffixes = []string{
		".redis.cache.windows.net",
		".redis.cache.chinacloudapi.cn",
		".redis.cache.usgovcloudapi.net",
		".redisenterprise.cache.azure.net",
	}
	azureManagedSuffixes = []string{
		".redis.azure.net",
		".redis.chinacloudapi.cn",
		".redis.usgovcloudapi.net",
	}
)

// AzureHostKind returns the Azure Redis service that host (a DNS name,
// without port) belongs to, matching its suffix in any case.
func AzureHostKind(host string) AzureKind {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, s := range azureManagedSuffixes {
		if strings.HasSuffix(h, s) {
			return AzureManagedRedis
		}
	}
	for _, s := range azureCacheSuffixes {
		if strings.HasSuffix(h, s) {
			return AzureCacheForRedis
		}
	}
	return NotAzure
}
