package tencentcloudtest

import (
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

const (
	langZH = "zh-CN"
	langEN = "en-US"
)

// apiErr is an error answer: Code and a message per language.
type apiErr struct {
	Code string
	EN   string
	ZH   string
}

func (e *apiErr) message(lang string) string {
	if lang == langEN || e.ZH == "" {
		return e.EN
	}
	return e.ZH
}

func errf(code, en, zh string) *apiErr { return &apiErr{Code: code, EN: en, ZH: zh} }

// Protocol errors (spec §2.2). Where the service's choice is UNVERIFIED
// the code is marked in docs/providers/tencentcloud.md.
var (
	errInvalidAuthorization = errf("AuthFailure.InvalidAuthorization", "The Authorization header is missing or malformed.", "请求头部的 Authorization 不符合腾讯云标准。")
	errSignatureFailure     = errf("AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.", "请求签名验证失败，请检查您的签名计算是否正确。")
	errSignatureExpire      = errf("AuthFailure.SignatureExpire", "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.", "签名过期。Timestamp 和服务器时间相差不得超过五分钟。")
	errSecretIDNotFound     = errf("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct.", "SecretId不存在，请输入正确的密钥。")
	errTokenFailure         = errf("AuthFailure.TokenFailure", "The security token is invalid.", "临时证书 Token 无效。")
	errNoSuchVersion        = errf("NoSuchVersion", "The API version does not exist.", "接口版本不存在。")
	errInvalidAction        = errf("InvalidAction", "The requested action does not exist.", "接口不存在。")
	errRequestLimit         = errf("RequestLimitExceeded", "Your current request times exceed the limit.", "请求的次数超过了频率限制。")
	errInternal             = errf("InternalError", "An internal error occurred.", "内部错误。")
	errBatchTaskCount       = errf("InvalidParameter.BatchTaskCountLimit", "The number of running batch tasks exceeds the limit.", "批量任务数量超过限制。")
	errBatchHourly          = errf("RequestLimitExceeded.BatchTaskLimit", "Too many batch tasks were submitted in the last hour.", "批量任务提交次数超过限制，请稍后重试。")
	errJobTooBig            = errf("InvalidParameter.JobGreaterThanLimit", "A batch task may hold at most the allowed number of records.", "单次任务数量超过上限。")
	errRecordsEmpty         = errf("InvalidParameter.RecordsEmpty", "The record list is empty.", "记录列表为空。")
	errDomainsEmpty         = errf("InvalidParameter.DomainsEmpty", "The domain list is empty.", "域名列表为空。")
	errDomainDuplicated     = errf("InvalidParameter.DomainDuplicated", "A domain is listed twice.", "域名重复。")
	errParamsIllegal        = errf("InvalidParameter.ParamsIllegal", "Parameters are illegal.", "参数不合法。")
	errParamsMissing        = errf("InvalidParameter.ParamsMissing", "Parameters are missing.", "参数缺失。")
	errDomainNotExists      = errf("InvalidParameterValue.DomainNotExists", "The domain does not exist.", "当前域名有误，请返回重新操作。")
	errDomainIDInvalid      = errf("InvalidParameter.DomainIdInvalid", "The domain id is invalid.", "域名编号不正确。")
	errRecordIDInvalid      = errf("InvalidParameter.RecordIdInvalid", "The record id is invalid.", "记录编号错误。")
	errNoDataOfRecord       = errf("ResourceNotFound.NoDataOfRecord", "The record list is empty.", "记录列表为空。")
	errLimitInvalid         = errf("InvalidParameterValue.LimitInvalid", "Limit is invalid.", "分页长度数量错误。")
	errOffsetInvalid        = errf("InvalidParameter.OffsetInvalid", "Offset is invalid.", "分页起始数量错误。")
	errBatchTaskNotExist    = errf("InvalidParameter.BatchTaskNotExist", "The batch task does not exist.", "批量任务不存在。")
	errMxInvalid            = errf("InvalidParameter.MxInvalid", "The MX priority is invalid.", "MX优先级错误。")
	errInvalidWeight        = errf("InvalidParameter.InvalidWeight", "The weight must be an integer from 0 to 100.", "权重不合法。")
	errLineInvalid          = errf("InvalidParameter.RecordLineInvalid", "The record line is invalid.", "记录线路错误。")
)

func missing(name string) *apiErr {
	return errf("MissingParameter", "The parameter "+name+" is missing.", "缺少参数 "+name+"。")
}

func invalid(name string) *apiErr {
	return errf("InvalidParameter", "The parameter "+name+" is invalid.", "参数 "+name+" 不合法。")
}

func unknownParam(detail string) *apiErr {
	return errf("UnknownParameter", "Unknown parameter: "+detail, "未知参数："+detail)
}

// ruleCodes maps the rule engine's DNSPod codes to API 3.0 codes (spec
// §2.3); the Chinese text is the service's usual wording.
var ruleCodes = map[int]struct{ code, zh string }{
	dnspodrules.CodeNoPermission: {"UnsupportedOperation", "系统默认记录不允许修改或删除。"}, // UNVERIFIED code
	dnspodrules.CodeRecordID:     {"InvalidParameter.RecordIdInvalid", "记录编号错误。"},
	dnspodrules.CodeValue:        {"InvalidParameter.RecordValueInvalid", "记录值有误，请修改后重新提交。"},
	dnspodrules.CodeSubDomain:    {"InvalidParameter.SubdomainInvalid", "子域名不正确。"},
	dnspodrules.CodeWildcard:     {"InvalidParameter.SubdomainInvalid", "泛解析子域名错误。"},
	dnspodrules.CodeRoundRobin:   {"LimitExceeded.SubdomainRollLimit", "子域名负载均衡数量超出限制。"},
	dnspodrules.CodeRoundRobinA:  {"LimitExceeded.SubdomainRollLimit", "子域名负载均衡数量超出限制。"},
	dnspodrules.CodeRoundRobinCN: {"LimitExceeded.SubdomainRollLimit", "子域名负载均衡数量超出限制。"},
	dnspodrules.CodeLine:         {"InvalidParameter.RecordLineInvalid", "记录线路错误。"},
	dnspodrules.CodeType:         {"InvalidParameter.RecordTypeInvalid", "记录类型错误。"},
	dnspodrules.CodeTTLModify:    {"LimitExceeded.RecordTtlLimit", "记录的TTL值超出了限制。"},
	dnspodrules.CodeTTL:          {"LimitExceeded.RecordTtlLimit", "记录的TTL值超出了限制。"},
	dnspodrules.CodeMX:           {"InvalidParameter.MxInvalid", "MX优先级错误。"},
	dnspodrules.CodeConflict:     {"InvalidParameter.ConflictRecord", "与已有记录冲突，无法添加。"},
	dnspodrules.CodeApexNSLine:   {"LimitExceeded.AtNsRecordLimit", "@的NS记录只能设置为默认线路。"},
	dnspodrules.CodeDuplicate:    {"InvalidParameter.DomainRecordExist", "记录已经存在，无需再次添加。"},
	dnspodrules.CodeParam:        {"InvalidParameter.ParamsIllegal", "参数不合法。"},
}

// ruleErr converts a rule violation.
func ruleErr(e *dnspodrules.Error) *apiErr {
	m, ok := ruleCodes[e.Code]
	if !ok {
		return errf("FailedOperation", e.Message, "操作失败。")
	}
	return errf(m.code, e.Message, m.zh)
}
