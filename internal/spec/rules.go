package spec

// Rule ids. They are stable: tools and people match on them, and
// docs/CONFIGURATION.md lists each with its meaning. Add new ids; never
// reuse or rename one.
const (
	// Files and syntax.
	RuleReadFile     = "read-file"     // a file or directory cannot be read
	RuleEmptyFile    = "empty-file"    // a file declares nothing
	RuleYAMLSyntax   = "yaml-syntax"   // not well-formed YAML, or several documents
	RuleDuplicateKey = "duplicate-key" // a mapping repeats a key
	RuleUnknownKey   = "unknown-key"   // key not in the schema
	RuleSchemaType   = "wrong-type"    // value of the wrong JSON type
	RuleMissingKey   = "missing-key"   // required key absent
	RuleSchema       = "schema"        // any other schema constraint (enum, range, pattern)

	// Configuration.
	RuleProvName    = "provider-name"        // provider name not lower-case letters, digits, - and _
	RuleEndpoint    = "provider-endpoint"    // endpoint is not an http(s) URL
	RuleCredentials = "provider-credentials" // no or two credential sources
	RuleProvOption  = "provider-option"      // option not valid for this provider type
	RuleDuration    = "duration"             // not a positive Go duration
	RuleZonesDir    = "zones-dir"            // zones directory missing
	RuleSize        = "size"                 // a size limit that is not a positive size

	// Names.
	RuleDomainName   = "domain-name"       // the domain is not a valid name
	RuleNameSyntax   = "name-syntax"       // record name has invalid characters or empty labels
	RuleLabelLength  = "label-length"      // a label longer than 63 octets
	RuleNameLength   = "name-length"       // a name longer than 253 octets
	RuleWildcard     = "wildcard"          // "*" not the whole leftmost label
	RuleIDNA         = "idna"              // internationalised name cannot be converted
	RuleNameOutside  = "name-outside-zone" // absolute record name not inside the domain
	RuleNameRepeats  = "name-repeats-zone" // relative name ends in the domain (warning)
	RuleDomainTwice  = "domain-duplicate"  // the same domain in two zone files
	RuleProvider     = "provider-unknown"  // zone names a provider missing from the config
	RuleProviderKind = "provider-kind"     // provider of the wrong type for this side

	// Records.
	RuleRecordType    = "record-type"      // type not supported by dnssync or the provider
	RuleRecordValue   = "record-value"     // neither or both of value and values
	RuleValueA        = "value-a"          // A value is not an IPv4 address
	RuleValueAAAA     = "value-aaaa"       // AAAA value is not an IPv6 address
	RuleValueCNAME    = "value-cname"      // CNAME target is not a host name
	RuleValueMX       = "value-mx"         // MX target is not a host name
	RuleValueTXT      = "value-txt"        // TXT value empty or badly quoted
	RuleTXTLength     = "txt-length"       // TXT longer than 255 octets (warning)
	RuleValueLength   = "value-length"     // a value longer than any DNS record or the provider can hold
	RuleValueNS       = "value-ns"         // NS target is not a host name
	RuleValueSRV      = "value-srv"        // SRV value not "priority weight port target"
	RuleSRVName       = "srv-name"         // SRV name not _service._proto (warning)
	RuleValueCAA      = "value-caa"        // CAA value not `flags tag "value"`
	RuleValuePTR      = "value-ptr"        // PTR target is not a host name
	RuleLine          = "line"             // line not accepted by the provider
	RuleTTLRange      = "ttl-range"        // TTL outside the provider's range
	RuleMXRange       = "mx-priority"      // MX priority missing, out of range, or on another type
	RuleNSApexLine    = "ns-apex-line"     // NS at @ on a non-default line
	RuleCNAMEConflict = "cname-conflict"   // CNAME beside other data on the same name and line
	RuleCNAMEApex     = "cname-apex"       // CNAME at the apex
	RuleDuplicate     = "duplicate-record" // the same record twice
	RuleIgnorePattern = "ignore-pattern"   // ignore glob is malformed
	RuleIgnored       = "record-ignored"   // a declared record matches an ignore rule (warning)
	RuleNoRecords     = "no-records"       // dns section without records under policy sync (warning)

	// Delegation.
	RuleDelegation    = "delegation"        // neither or both of nameservers and aliyun_dns
	RuleNSName        = "nameserver-name"   // nameserver is not a host name
	RuleNSCount       = "nameserver-count"  // fewer than 2 or more than 13 nameservers
	RuleNSDuplicate   = "nameserver-dup"    // a nameserver listed twice
	RuleGlueMissing   = "glue-missing"      // nameserver inside the domain without dns_hosts entry
	RuleGlueOutside   = "glue-outside"      // glue host not inside the domain
	RuleGlueHost      = "glue-host"         // glue host breaks the registrar's host name rules
	RuleGlueIPs       = "glue-ips"          // glue host without 1..13 valid addresses
	RuleGlueIPDup     = "glue-ip-duplicate" // an address listed twice for a host
	RuleGlueDuplicate = "glue-duplicate"    // a host listed twice
)
