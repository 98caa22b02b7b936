"""Report tables (Markdown or HTML): the comparison table and per-problem details."""
from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

BETTER, WORSE = "▲", "▼"


def render(headers: list[str], rows: list[list[str]], fmt: str = "md") -> str:
    """A table as Markdown (pipes escaped) or as an HTML ``<table>``; cells may hold ``**bold**`` markers."""
    if fmt == "html":
        def cell(x, tag):
            s = html.escape(str(x))
            if s.startswith("**") and "**" in s[2:]:
                end = s.index("**", 2)
                s = f"<b>{s[2:end]}</b>{s[end + 2:]}"
            return f"<{tag}>{s}</{tag}>"

        head = "".join(cell(h, "th") for h in headers)
        body = "\n".join("<tr>" + "".join(cell(c, "td") for c in r) + "</tr>" for r in rows)
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n"
    esc = [[str(c).replace("|", "\\|") for c in r] for r in [headers, *rows]]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    return "\n".join(lines) + "\n\n"


# The one HTML text path of the reports: every string is escaped (spec names, labels, algorithm / problem names and
# parameters come from user input); only our own attribute-free inline tags are let through again.
_OUR_TAGS = re.compile(r"&lt;(/?)(code|b|i|em|strong|br|sub|sup)&gt;")


_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_CODE = re.compile(r"`([^`]+)`")


def html_text(text) -> str:
    """``text`` safe to put into HTML: escaped, except the attribute-free tags ``<code> <b> <i> <em> <strong> <br>
    <sub> <sup>`` (which cannot run script); the Markdown ``**bold**`` and ```code``` the report texts use become
    ``<b>`` / ``<code>`` (their content stays escaped)."""
    out = _OUR_TAGS.sub(r"<\1\2>", html.escape(str(text), quote=True))
    return _MD_CODE.sub(r"<code>\1</code>", _MD_BOLD.sub(r"<b>\1</b>", out))


def heading(text, level: int, fmt: str) -> str:
    return f"<h{level}>{html_text(text)}</h{level}>\n" if fmt == "html" else f"{'#' * level} {text}\n\n"


def paragraph(text, fmt: str) -> str:
    return f"<p>{html_text(text)}</p>\n" if fmt == "html" else f"{text}\n\n"


def image(rel: str, alt: str, fmt: str, md_end: str = "\n") -> str:
    if fmt == "html":
        return (f'<p><img src="{html.escape(str(rel), quote=True)}" alt="{html.escape(str(alt), quote=True)}" '
                'style="max-width:100%"></p>\n')
    return f"![{alt}]({rel}){md_end}"


def _fmt(x, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _p(x) -> str:
    """A p-value with 2 significant digits."""
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2g}"


def comparison_table(summary: pd.DataFrame, cmp: pd.DataFrame, baseline: str | None, sense: str = "max",
                     fmt: str = "md", digits: int = 2) -> str:
    """Rows = problems, columns = algorithms, ``mean ± std`` (ddof=1); best mean (in the metric's ``sense``) bold;
    ▲/▼ = significantly better/worse than the baseline, as decided by the test in ``cmp`` (``direction`` column,
    already oriented by the sense: see :func:`nasbench_eval.stats.compare_to_baseline`)."""
    algos = list(dict.fromkeys(summary["algorithm"]))
    problems = list(dict.fromkeys(summary["problem"]))
    rows = []
    for p in problems:
        s = summary[summary["problem"] == p].set_index("algorithm")
        means = s["mean"].reindex(algos)
        best = means.max() if sense == "max" else means.min()
        row = [p]
        for a in algos:
            if a not in s.index:
                row.append("")
                continue
            txt = f"{_fmt(s.at[a, 'mean'], digits)} ± {_fmt(s.at[a, 'std'], digits)}"
            if np.isfinite(s.at[a, "mean"]) and s.at[a, "mean"] == best:
                txt = f"**{txt}**"
            if baseline is not None and len(cmp):
                c = cmp[(cmp["problem"] == p) & (cmp["algorithm"] == a)]
                if len(c) and c["direction"].iloc[0] in ("better", "worse"):
                    txt += BETTER if c["direction"].iloc[0] == "better" else WORSE
            row.append(txt)
        rows.append(row)
    heads = ["problem"] + [f"{a} (baseline)" if a == baseline else a for a in algos]
    return render(heads, rows, fmt)


def detail_table(summary: pd.DataFrame, cmp: pd.DataFrame, problem: str, fmt: str = "md", digits: int = 2,
                 incumbent: pd.DataFrame | None = None) -> str:
    """Per algorithm on one problem: summary statistics, the test against the baseline (which test, why, shift,
    A12, p, Holm p, verdict) and, when ``incumbent`` says some runs' answers differ from their best-so-far
    incumbent, the incumbent's mean too."""
    s = summary[summary["problem"] == problem]
    inc = None
    if incumbent is not None and len(incumbent):
        ip = incumbent[incumbent["problem"] == problem]
        if ip["differs"].any():
            inc = ip.groupby("algorithm", sort=False).agg(mean=("incumbent", "mean"), k=("differs", "sum"),
                                                          n=("differs", "size"))
    rows = []
    for _, r in s.iterrows():
        c = cmp[(cmp["problem"] == problem) & (cmp["algorithm"] == r["algorithm"])] if len(cmp) else cmp
        c = c.iloc[0] if len(c) else None
        row = [r["algorithm"], int(r["n"]), _fmt(r["mean"], digits), _fmt(r["std"], digits),
               _fmt(r["std_ddof0"], digits), _fmt(r["se"], digits), _fmt(r["median"], digits),
               f"{_fmt(r['q25'], digits)}–{_fmt(r['q75'], digits)}",
               f"[{_fmt(r['ci_low'], digits)}, {_fmt(r['ci_high'], digits)}] ({r['ci_method']})"]
        if inc is not None:
            row.append(f"{_fmt(inc.at[r['algorithm'], 'mean'], digits)} ({int(inc.at[r['algorithm'], 'k'])}/"
                       f"{int(inc.at[r['algorithm'], 'n'])} differ)" if r["algorithm"] in inc.index else "")
        if c is None:
            row += [""] * 7
        else:
            row += [f"{c['shift']:+.{digits}f}" if np.isfinite(c["shift"]) else "n/a",
                    f"{_fmt(c['a12'], 3)} ({c['a12_magnitude']})" if np.isfinite(c["a12"]) else "n/a",
                    _p(c["p_value"]), _p(c["p_holm"]), c["direction"], c["test"], c["why"]]
        rows.append(row)
    heads = ["algorithm", "n", "mean", "std (ddof=1)", "std (ddof=0)", "SE", "median", "IQR", "95% bootstrap CI"]
    if inc is not None:
        heads.append("incumbent at end (mean)")
    heads += ["shift vs baseline (HL)", "A12 (P better)", "p", "p (Holm)", "verdict", "test", "why"]
    return render(heads, rows, fmt)


def frame_table(df: pd.DataFrame, fmt: str = "md", digits: int = 4) -> str:
    rows = [[_fmt(v, digits) if isinstance(v, (float, np.floating)) else v for v in r] for r in df.itertuples(False)]
    return render(list(map(str, df.columns)), rows, fmt)
