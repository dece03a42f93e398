"""Draw one PNG per benchmark scenario from RESULT lines.

usage: chart.py RESULTS_FILE OUT_DIR

For each scenario, every metric gets a horizontal bar chart with one bar per
variant (ringcap variants highlighted), written to OUT_DIR/<scenario>.png.
"""
import collections
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(results, out_dir):
    data = collections.defaultdict(lambda: collections.defaultdict(dict))
    with open(results) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 5 or parts[0] != "RESULT":
                continue
            _, scenario, variant, metric, value = parts
            try:
                data[scenario][metric][variant] = float(value)
            except ValueError:
                continue
    for scenario, metrics in data.items():
        names = sorted(metrics)
        fig, axes = plt.subplots(len(names), 1, figsize=(9, 1.2 + 0.35 * sum(len(metrics[m]) for m in names) + 0.6 * len(names)))
        if len(names) == 1:
            axes = [axes]
        for ax, metric in zip(axes, names):
            variants = sorted(metrics[metric])
            values = [metrics[metric][v] for v in variants]
            colors = ["#1f77b4" if "ringcap" in v else "#999999" for v in variants]
            ax.barh(variants, values, color=colors)
            ax.set_title(f"{scenario}: {metric}", fontsize=10)
            ax.tick_params(labelsize=8)
            for y, v in enumerate(values):
                ax.text(v, y, f" {v:.4g}", va="center", fontsize=7)
        fig.tight_layout()
        path = f"{out_dir}/{scenario}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        print(f"chart: {path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
