"""The console's words in 简体中文 (the default) and English, in the bureau's report's terms."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("zh", "en")
DEFAULT = "zh"

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("数据交换网关 · 管理控制台", "Data-exchange gateway · console"),
    "overview": ("运行概览", "Overview"),
    "runs": ("运行记录", "Runs"),
    "dead_letters": ("死信队列", "Dead letters"),
    "log": ("交换日志", "Exchange log"),
    "trace": ("追溯查询", "Trace"),
    "exports": ("日志导出", "Exports"),
    "reports": ("统计报表", "Reports"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "user": ("用户名", "User"),
    "password": ("密码", "Password"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "role_auditor": ("审计员", "auditor"),
    "role_operator": ("运维员", "operator"),
    "bad_sign_in": ("用户名或密码错误。", "Wrong user name or password."),
    "locked": (
        "连续失败次数过多，账户已暂时锁定，请稍后再试。",
        "Too many failures in a row: the account is locked for a while.",
    ),
    "forbidden": ("无权访问", "Not allowed"),
    "forbidden_text": (
        "您的角色无权查看本页面。",
        "Your role may not see this page.",
    ),
    "not_found": ("未找到", "Not found"),
    "refreshes": ("本页每 30 秒自动刷新。", "This page refreshes every 30 seconds."),
    "job": ("作业", "Job"),
    "enabled": ("启用", "Enabled"),
    "schedule": ("调度", "Schedule"),
    "last_run": ("最近运行", "Last run"),
    "last_success": ("最近成功", "Last success"),
    "next_due": ("下次运行", "Next due"),
    "open_letters": ("未处理死信", "Open dead letters"),
    "breakers": ("熔断器", "Circuit breakers"),
    "platform": ("平台", "Platform"),
    "state": ("状态", "State"),
    "failures": ("连续失败", "Failures"),
    "reason": ("原因", "Reason"),
    "leases": ("实例与租约", "Instances and leases"),
    "instance": ("实例", "Instance"),
    "expires": ("到期", "Expires"),
    "no_lease": ("空闲", "free"),
    "disabled": ("已停用", "disabled"),
    "never": ("从未运行", "never run"),
    "outcome": ("结果", "Outcome"),
    "started": ("开始", "Started"),
    "duration": ("耗时", "Duration"),
    "counts": ("数量", "Counts"),
    "run": ("运行", "Run"),
    "exchanges_of_run": ("本次运行的交换记录", "Exchanges of this run"),
    "all_jobs": ("全部作业", "all jobs"),
    "filter": ("筛选", "Filter"),
    "status": ("状态", "Status"),
    "any": ("全部", "any"),
    "attempts": ("尝试次数", "Attempts"),
    "source": ("来源", "Source"),
    "key": ("主键", "Key"),
    "rules": ("规则", "Rules"),
    "updated": ("更新时间", "Updated"),
    "letter": ("死信", "Dead letter"),
    "reasons": ("拒收原因", "Reasons"),
    "warnings": ("提示", "Warnings"),
    "input_masked": ("原始输入（已脱敏）", "Input (masked)"),
    "masked_by": ("脱敏依据", "Masked by"),
    "field": ("字段", "Field"),
    "value": ("值", "Value"),
    "seq": ("序号", "Seq"),
    "time": ("时间", "Time"),
    "kind": ("类型", "Kind"),
    "direction": ("方向", "Direction"),
    "operation": ("操作", "Operation"),
    "records": ("记录数", "Records"),
    "since": ("起始", "Since"),
    "until": ("截止", "Until"),
    "chain": ("哈希链校验", "Chain verification"),
    "intact": ("完整", "intact"),
    "broken": ("已损坏", "BROKEN"),
    "head_hash": ("链头哈希", "Head hash"),
    "entries": ("条目数", "Entries"),
    "verify_now": ("立即校验", "Verify now"),
    "verifying": (
        "正在校验，完成后本页自动显示结果……",
        "Verifying; this page shows the result when done…",
    ),
    "last_verified": ("最近一次校验", "Last verification"),
    "not_verified": ("本次启动后尚未校验。", "Not verified since the console started."),
    "checkpoints": ("签名检查点与见证", "Signed checkpoints and witnesses"),
    "witness": ("见证", "Witness"),
    "checkpoint_seq": ("检查点序号", "Checkpoint seq"),
    "matches": ("与存储一致", "matches the store"),
    "no_witness": ("未配置见证。", "No witness is configured."),
    "problems": ("问题", "Problems"),
    "seals": ("封印", "Seals"),
    "checked": ("已校验", "checked"),
    "not_checked": ("未校验", "not checked"),
    "detail": ("详情", "Detail"),
    "entry": ("日志条目", "Log entry"),
    "newest": ("最新在前，最多显示", "newest first, at most"),
    "trace_help": (
        "输入身份证号码、统一社会信用代码或记录主键，查询携带该值的全部交换记录。"
        "查询值不会显示，也不会写入日志；每次查询均记入交换日志。",
        "Type an ID number, a USCC or a record key: the exchanges that carried it are listed. "
        "The value is never shown or logged; every query is written to the exchange log.",
    ),
    "id_number": ("身份证号码", "ID number"),
    "uscc": ("统一社会信用代码", "USCC"),
    "record_key": ("记录主键", "Record key"),
    "search": ("查询", "Search"),
    "trace_result": ("查询结果", "Result"),
    "carried_by": ("条交换记录携带该值", "exchanges carried it"),
    "earlier_queries": ("此前对该值的查询次数", "Earlier queries of this value"),
    "rate_limited": (
        "查询过于频繁：每分钟最多 {n} 次，请稍后再试。本次请求已记入日志。",
        "Too many queries: at most {n} a minute. This attempt was logged.",
    ),
    "invalid_id": ("校验位不符，仍按原值查询。", "Check digit wrong; searched anyway."),
    "empty_value": ("请输入要查询的值。", "Type a value to search for."),
    "export_help": (
        "下载一段时间内的交换日志（CSV 或 JSONL）及其签名清单，"
        "可用 gateway audit verify --export 离线校验。",
        "Download the exchange log of a period (CSV or JSONL) with its signed manifest; "
        "check it offline with gateway audit verify --export.",
    ),
    "format": ("格式", "Format"),
    "download": ("下载", "Download"),
    "report_figures": ("主要指标", "Figures"),
    "no_reports": ("未安装提供报表的适配器。", "No installed adapter offers a report."),
    "report_failed": ("报表无法生成", "The report cannot be computed"),
    "language": ("English", "中文"),
    "times_in": ("时间为", "Times in"),
    "bad_filter": ("筛选条件无效", "Bad filter"),
    "read_only": ("只读控制台：不能在此修改任何内容。", "Read-only: nothing can be changed here."),
}


# Outcomes and states as the store writes them, in Chinese; English shows the stored word.
_OUTCOMES = {
    "succeeded": "成功", "partial": "部分完成", "failed": "失败", "interrupted": "已中断",
    "running": "运行中", "started": "开始", "ok": "成功", "retry": "重试", "error": "错误",
    "refused": "拒绝", "locked": "已锁定", "closed": "正常", "open": "熔断",
    "half_open": "半开", "stale": "已过期", "consistent": "一致", "differences": "有差异",
}  # fmt: skip


def translator(lang: str) -> Callable[..., str]:
    index = 1 if lang == "en" else 0

    def t(word: str, **values: object) -> str:
        if word.startswith("outcome:"):
            stored = word.removeprefix("outcome:")
            return stored if index else _OUTCOMES.get(stored, stored)
        pair = _WORDS.get(word)
        text = pair[index] if pair else word
        return text.format(**values) if values else text

    return t
