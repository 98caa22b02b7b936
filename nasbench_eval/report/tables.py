"""Report tables (Markdown or HTML): the comparison table and per-problem details."""
from __future__ import annotations

import html

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


def _fmt(x, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _p(x) -> str:
    return "n/a" if x is None or not np.isfinite(x) else (f"{x:.2e}" if x < 1e-3 else f"{x:.4f}")


def comparison_table(summary: pd.DataFrame, cmp: pd.DataFrame, baseline: str | None, higher_is_better: bool = True,
                     fmt: str = "md", digits: int = 2) -> str:
    """Rows = problems, columns = algorithms, ``mean ± std`` (ddof=1); best mean bold; ▲/▼ = significantly
    better/worse than the baseline (Wilcoxon signed-rank paired by seed, Holm-corrected within the problem)."""
    algos = list(dict.fromkeys(summary["algorithm"]))
    problems = list(dict.fromkeys(summary["problem"]))
    rows = []
    for p in problems:
        s = summary[summary["problem"] == p].set_index("algorithm")
        means = s["mean"].reindex(algos)
        best = means.max() if higher_is_better else means.min()
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
                if len(c) and c["direction"].iloc[0] != "n.s.":
                    good = (c["direction"].iloc[0] == "better") == higher_is_better
                    txt += BETTER if good else WORSE
            row.append(txt)
        rows.append(row)
    heads = ["problem"] + [f"{a} (baseline)" if a == baseline else a for a in algos]
    return render(heads, rows, fmt)


def detail_table(summary: pd.DataFrame, cmp: pd.DataFrame, problem: str, fmt: str = "md", digits: int = 2) -> str:
    s = summary[summary["problem"] == problem]
    rows = []
    for _, r in s.iterrows():
        c = cmp[(cmp["problem"] == problem) & (cmp["algorithm"] == r["algorithm"])] if len(cmp) else cmp
        c = c.iloc[0] if len(c) else None
        rows.append([r["algorithm"], int(r["n"]), _fmt(r["mean"], digits), _fmt(r["std"], digits),
                     _fmt(r["std_ddof0"], digits), _fmt(r["se"], digits), _fmt(r["median"], digits),
                     f"{_fmt(r['q25'], digits)}–{_fmt(r['q75'], digits)}",
                     f"[{_fmt(r['ci_low'], digits)}, {_fmt(r['ci_high'], digits)}] ({r['ci_method']})",
                     "" if c is None else f"{_fmt(c['a12'], 3)} ({c['a12_magnitude']})",
                     "" if c is None else _p(c["p_value"]), "" if c is None else _p(c["p_holm"]),
                     "" if c is None else f"{c['test']}: {c['note']}"])
    heads = ["algorithm", "n", "mean", "std (ddof=1)", "std (ddof=0)", "SE", "median", "IQR", "95% bootstrap CI",
             "A12 vs baseline", "p (Wilcoxon)", "p (Holm)", "test"]
    return render(heads, rows, fmt)


def frame_table(df: pd.DataFrame, fmt: str = "md", digits: int = 4) -> str:
    rows = [[_fmt(v, digits) if isinstance(v, (float, np.floating)) else v for v in r] for r in df.itertuples(False)]
    return render(list(map(str, df.columns)), rows, fmt)
