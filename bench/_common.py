"""Shared pieces of the benchmark scripts: synthetic papers, timing statistics, table output.

Not a benchmark itself. The scripts in this directory run as `python bench/<name>.py`, so this
directory is first on `sys.path` and they import this module as `_common`.

Synthetic papers come from a seeded `random.Random`: the same seed and count give the same
papers, and the first N papers of a larger set are exactly the papers of a smaller one. The
vocabulary is a small model of Daily Papers: topics with their own terms and phrases, general
academic words drawn with Zipf-like weights, generated method names (rare terms), surveys,
and author names whose frequencies are skewed the way real ones are.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from rich.console import Console

from bot.domain import Paper

DEFAULT_SEED = 20261127
FIRST_DAY = date(2024, 1, 1)
PAPERS_PER_DAY = 60  # a typical weekday on Daily Papers


# --- vocabulary ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """One research area: phrases that name it, tasks, techniques, and AI keywords."""

    name: str
    phrases: tuple[str, ...]  # the topic as it is written in titles and abstracts
    tasks: tuple[str, ...]
    techniques: tuple[str, ...]
    keywords: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "diffusion",
        ("diffusion models", "latent diffusion", "text-to-image diffusion", "diffusion"),
        ("image generation", "image editing", "text-to-image synthesis", "inpainting"),
        ("classifier-free guidance", "score distillation", "flow matching", "consistency models"),
        (
            "diffusion models",
            "denoising",
            "latent space",
            "classifier-free guidance",
            "U-Net",
            "DiT",
            "flow matching",
            "sampling efficiency",
        ),
    ),
    Topic(
        "video",
        ("video generation", "video diffusion", "text-to-video generation", "video synthesis"),
        ("long video generation", "motion control", "camera control", "video editing"),
        ("temporal attention", "spatiotemporal transformers", "causal video tokenizers"),
        (
            "video generation",
            "temporal consistency",
            "motion",
            "text-to-video",
            "world model",
            "video diffusion",
        ),
    ),
    Topic(
        "reasoning",
        ("large language models", "LLM reasoning", "chain-of-thought reasoning", "reasoning"),
        ("mathematical reasoning", "multi-step reasoning", "theorem proving", "math word problems"),
        ("test-time scaling", "process reward models", "self-consistency", "verifiers"),
        (
            "large language models",
            "chain-of-thought",
            "reasoning",
            "test-time compute",
            "mathematical reasoning",
            "process supervision",
            "LLMs",
        ),
    ),
    Topic(
        "agents",
        ("LLM agents", "autonomous agents", "agentic systems", "multi-agent systems", "agent"),
        ("web navigation", "tool use", "computer use", "deep research", "software engineering"),
        ("planning", "memory", "self-reflection", "trajectory synthesis"),
        (
            "agents",
            "tool use",
            "planning",
            "multi-agent",
            "web agents",
            "GUI agents",
            "agentic workflows",
        ),
    ),
    Topic(
        "rl",
        ("reinforcement learning", "RL", "policy optimization", "RLHF"),
        ("preference alignment", "reward modeling", "RL fine-tuning", "exploration"),
        ("GRPO", "PPO", "direct preference optimization", "verifiable rewards"),
        (
            "reinforcement learning",
            "reward model",
            "policy optimization",
            "GRPO",
            "RLHF",
            "preference optimization",
            "RLVR",
        ),
    ),
    Topic(
        "multimodal",
        ("vision-language models", "multimodal large language models", "VLMs", "multimodal"),
        ("visual question answering", "visual grounding", "image captioning", "OCR"),
        ("visual instruction tuning", "visual tokens", "cross-modal attention"),
        (
            "vision-language models",
            "multimodal",
            "MLLMs",
            "visual grounding",
            "VQA",
            "instruction tuning",
            "CLIP",
        ),
    ),
    Topic(
        "ssm",
        ("state space models", "Mamba", "linear attention", "recurrent models"),
        ("long context modeling", "sequence modeling", "language modeling", "long sequences"),
        ("selective state spaces", "hybrid architectures", "gated linear recurrences"),
        (
            "state space models",
            "Mamba",
            "linear attention",
            "long context",
            "sequence modeling",
            "SSM",
        ),
    ),
    Topic(
        "3d",
        ("3D Gaussian splatting", "neural radiance fields", "3D generation", "NeRF"),
        ("novel view synthesis", "3D reconstruction", "scene understanding", "avatar creation"),
        ("multi-view diffusion", "differentiable rendering", "point clouds"),
        (
            "3D Gaussian Splatting",
            "NeRF",
            "novel view synthesis",
            "3D reconstruction",
            "point cloud",
            "mesh",
        ),
    ),
    Topic(
        "speech",
        ("speech language models", "text-to-speech", "spoken dialogue models", "audio"),
        ("speech recognition", "speech synthesis", "voice cloning", "audio understanding"),
        ("audio tokenizers", "neural codecs", "streaming decoding"),
        (
            "text-to-speech",
            "ASR",
            "speech",
            "audio language models",
            "neural audio codec",
            "spoken dialogue",
        ),
    ),
    Topic(
        "robotics",
        ("vision-language-action models", "robot learning", "embodied agents", "robotics"),
        ("robot manipulation", "navigation", "dexterous grasping", "sim-to-real transfer"),
        ("imitation learning", "diffusion policies", "world models"),
        (
            "robot manipulation",
            "VLA",
            "embodied AI",
            "imitation learning",
            "sim-to-real",
            "world models",
        ),
    ),
    Topic(
        "efficiency",
        ("efficient inference", "model compression", "mixture of experts", "quantization"),
        ("LLM serving", "on-device inference", "long-context inference", "speculative decoding"),
        ("KV cache compression", "pruning", "knowledge distillation", "low-rank adaptation"),
        (
            "quantization",
            "KV cache",
            "mixture of experts",
            "pruning",
            "distillation",
            "LoRA",
            "inference efficiency",
        ),
    ),
    Topic(
        "code",
        ("code language models", "code generation", "program synthesis", "coding agents"),
        ("repository-level code completion", "bug fixing", "code review", "test generation"),
        ("execution feedback", "unit tests", "retrieval-augmented generation"),
        ("code generation", "software engineering", "program synthesis", "SWE-bench", "code LLMs"),
    ),
    Topic(
        "safety",
        ("AI safety", "alignment", "jailbreak attacks", "hallucination"),
        ("red teaming", "harmful content detection", "factuality", "refusal behavior"),
        ("adversarial prompts", "representation engineering", "constitutional training"),
        ("alignment", "jailbreak", "safety", "hallucination", "red teaming", "guardrails"),
    ),
    Topic(
        "retrieval",
        ("retrieval-augmented generation", "RAG", "dense retrieval", "embedding models"),
        ("question answering", "document retrieval", "knowledge-intensive tasks", "search"),
        ("reranking", "query rewriting", "contrastive learning"),
        (
            "retrieval-augmented generation",
            "RAG",
            "dense retrieval",
            "embeddings",
            "reranking",
            "knowledge graphs",
        ),
    ),
)

ADJECTIVES = (
    "scalable",
    "efficient",
    "robust",
    "unified",
    "simple",
    "generalizable",
    "open",
    "lightweight",
    "adaptive",
    "training-free",
    "self-supervised",
    "controllable",
    "fast",
    "interpretable",
    "reliable",
    "compositional",
    "hierarchical",
    "sparse",
    "dynamic",
    "zero-shot",
    "few-shot",
    "long-horizon",
    "fine-grained",
    "multilingual",
    "large-scale",
)

# General academic words, most frequent first (drawn with Zipf-like weights).
GENERAL = (
    "model",
    "method",
    "approach",
    "performance",
    "results",
    "data",
    "training",
    "tasks",
    "framework",
    "learning",
    "evaluation",
    "benchmark",
    "dataset",
    "experiments",
    "quality",
    "accuracy",
    "baseline",
    "architecture",
    "representation",
    "generalization",
    "efficiency",
    "scaling",
    "inference",
    "objective",
    "analysis",
    "pipeline",
    "module",
    "design",
    "capability",
    "limitation",
    "robustness",
    "supervision",
    "alignment",
    "latency",
    "throughput",
    "memory",
    "parameters",
    "tokens",
    "context",
    "features",
    "signals",
    "distribution",
    "samples",
    "annotations",
    "metrics",
    "fidelity",
    "diversity",
    "consistency",
    "trade-off",
    "budget",
    "compute",
    "ablation",
    "transfer",
    "adaptation",
    "pretraining",
    "fine-tuning",
    "curriculum",
    "feedback",
    "optimization",
    "regularization",
    "uncertainty",
    "calibration",
    "priors",
    "constraints",
    "instructions",
    "prompts",
    "demonstrations",
    "environments",
    "simulation",
    "trajectories",
    "policies",
    "rewards",
    "preferences",
    "judges",
    "humans",
    "users",
    "experts",
    "errors",
    "failures",
    "artifacts",
    "bias",
    "fairness",
    "privacy",
    "security",
    "deployment",
    "hardware",
    "kernels",
    "GPUs",
    "open-source",
    "reproducibility",
    "leaderboard",
    "taxonomy",
    "survey",
)

VERBS = (
    "improves",
    "outperforms",
    "matches",
    "reduces",
    "enables",
    "achieves",
    "surpasses",
    "scales",
    "generalizes",
    "accelerates",
    "stabilizes",
    "simplifies",
)

SENTENCES = (
    "{Topic} have shown remarkable progress in {task}, yet {adj} {g} remains a challenge.",
    "However, existing methods struggle with {g} and {g2} when applied to {task}.",
    "In this work, we propose {M}, a {adj} {g} for {task} based on {tech}.",
    "We introduce {M}, which combines {tech} with {adj} {g} to address {g2}.",
    "Our key insight is that {tech} can be reused to improve {g} without additional {g2}.",
    "We construct a new {g} of {n} examples covering {task} and {task2}.",
    "Extensive experiments on {n} benchmarks show that {M} {verb} strong baselines by {pct}%.",
    "{M} {verb} prior work on {task} while using {pct}% less {g}.",
    "We further analyze the role of {g} and find that {tech} is critical for {g2}.",
    "Ablation studies confirm the contribution of each {g} in {M}.",
    "Compared with {tech}, our approach is {adj} and requires no {g}.",
    "We also study how {topic} behave under {adj} {g} and report {g2} trends.",
    "These results suggest that {topic} can benefit from {adj} {g} at scale.",
    "Code, models and data are available to support {g} in {task}.",
    "We hope this work provides a {adj} foundation for future research on {topic}.",
)

TITLES = (
    "{M}: {Adj} {Tech} for {Task}",
    "{M}: Towards {Adj} {Topic} with {Tech}",
    "Scaling {Tech} for {Adj} {Task} in {Topic}",
    "{Adj} {Task} via {Tech} and {Adj2} {G}",
    "When Do {Topic} Need {Tech}? A Study of {Task}",
    "{M}: {Adj} {Topic} for {Task} Without {G}",
    "Rethinking {Tech} in {Topic}: {Adj} {G} for {Task}",
    "{M}: Learning {Adj} {G} for {Task} from {Tech}",
)
SURVEY_TITLES = (
    "A Survey of {Tech} and {Task} in {Topic}",
    "{Topic}: A Comprehensive Survey of {Adj} {Task}",
)

FIRST_NAMES = (
    "Wei",
    "Jian",
    "Yu",
    "Xin",
    "Hao",
    "Li",
    "Yang",
    "Ming",
    "Chen",
    "Jun",
    "Kai",
    "Lei",
    "Jie",
    "Yi",
    "Zhen",
    "Rui",
    "Tao",
    "Bo",
    "Sanjay",
    "Priya",
    "Arjun",
    "Ananya",
    "Rahul",
    "Kaiming",
    "Yann",
    "Geoffrey",
    "Ilya",
    "Percy",
    "Christopher",
    "Fei-Fei",
    "Andrej",
    "Maria",
    "Elena",
    "Marco",
    "Luca",
    "Sofia",
    "Anna",
    "Thomas",
    "Julia",
    "David",
    "Sarah",
    "Michael",
    "Emily",
    "Daniel",
    "Laura",
    "James",
    "Hannah",
    "Pierre",
    "Camille",
    "Lucas",
    "Jonas",
    "Lena",
    "Min-jun",
    "Ji-woo",
    "Seo-yeon",
    "Hiroshi",
    "Yuki",
    "Takumi",
    "Omar",
    "Fatima",
    "Ahmed",
    "Noor",
    "Mateo",
    "Valentina",
    "Diego",
    "Olga",
    "Dmitry",
    "Ivan",
)
LAST_NAMES = (
    "Zhang",
    "Wang",
    "Li",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Gao",
    "Luo",
    "Kumar",
    "Singh",
    "Sharma",
    "Patel",
    "Gupta",
    "Kim",
    "Lee",
    "Park",
    "Choi",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Nguyen",
    "Tran",
    "Smith",
    "Johnson",
    "Brown",
    "Miller",
    "Davis",
    "Garcia",
    "Rodriguez",
    "Martinez",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Rossi",
    "Russo",
    "Bianchi",
    "Dubois",
    "Martin",
    "Bernard",
    "Petrov",
    "Ivanov",
    "Cohen",
    "Levi",
    "Hassan",
    "Ali",
    "Silva",
    "Santos",
    "Oliveira",
    "Andersson",
    "Nielsen",
    "Novak",
    "Kowalski",
    "Ricci",
)
ORGS = (
    "Google DeepMind",
    "Meta AI",
    "Microsoft Research",
    "NVIDIA",
    "Alibaba Qwen",
    "ByteDance Seed",
    "Tsinghua University",
    "Stanford University",
    "MIT",
    "Shanghai AI Lab",
    "Hugging Face",
    "Allen Institute for AI",
    "Mistral AI",
    "DeepSeek",
    "Tencent Hunyuan",
)
_SYLLABLES = (
    "vi",
    "lo",
    "ra",
    "ge",
    "no",
    "ta",
    "mi",
    "xa",
    "qu",
    "ze",
    "do",
    "ka",
    "li",
    "fu",
    "pe",
    "sor",
    "gen",
    "net",
    "mix",
    "flow",
    "vid",
    "cot",
    "rag",
    "act",
    "tok",
    "lum",
    "syn",
)
_METHOD = "\x00"  # stands for the paper's method name in pooled sentences


def _zipf(n: int, s: float = 1.0) -> list[float]:
    """Cumulative Zipf weights for n items (rank 1 most frequent), for random.choices."""
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


_GENERAL_CUM = _zipf(len(GENERAL), 0.9)
_FIRST_CUM = _zipf(len(FIRST_NAMES), 0.7)
_LAST_CUM = _zipf(len(LAST_NAMES), 0.8)
_TOPIC_CUM = _zipf(len(TOPICS), 0.5)


class PaperFactory:
    """Deterministic synthetic Daily Papers: `make(n)` gives papers 0..n-1 of one seed."""

    def __init__(self, seed: int = DEFAULT_SEED, pool: int = 400) -> None:
        self.seed = seed
        # Abstract sentences are drawn from a per-topic pool of `pool` filled templates (with a
        # placeholder for the method name): nearly as varied as filling templates per paper
        # (14 topics × `pool` sentences, mixed and cut per paper), and 4x faster.
        rng = random.Random(seed)
        self._pools: dict[str, list[tuple[str, int]]] = {}
        for topic in TOPICS:
            sentences = []
            for _ in range(pool):
                other = rng.choice(TOPICS)
                text = _Filler(rng, topic, other, _METHOD).sentence()
                sentences.append((text, len(text.split())))
            self._pools[topic.name] = sentences

    def paper(self, index: int) -> Paper:
        """Paper number `index` (its own seeded generator, so any slice is reproducible)."""
        rng = random.Random(self.seed * 1_000_003 + index)
        topic = rng.choices(TOPICS, cum_weights=_TOPIC_CUM)[0]
        other = rng.choice(TOPICS)
        method = _method_name(rng)
        survey = rng.random() < 0.03
        fill = _Filler(rng, topic, other, method)
        title = fill.title(survey)
        summary = self._abstract(rng, topic, other, rng.randint(150, 200)).replace(_METHOD, method)
        first_names = rng.choices(FIRST_NAMES, cum_weights=_FIRST_CUM, k=10)
        last_names = rng.choices(LAST_NAMES, cum_weights=_LAST_CUM, k=10)
        authors = tuple(
            dict.fromkeys(f"{f} {s}" for f, s in zip(first_names, last_names, strict=True))
        )[: rng.randint(3, 10)]
        pool = list(dict.fromkeys((*topic.keywords, *other.keywords[:3], method)))
        keywords = tuple(rng.sample(pool, min(len(pool), rng.randint(5, 10))))
        day = FIRST_DAY + timedelta(days=index // PAPERS_PER_DAY)
        month = index // 25_000
        has_code = rng.random() < 0.55
        repo = f"https://github.com/{method.lower()}-lab/{method}" if has_code else None
        upvotes = min(int(rng.lognormvariate(2.0, 1.1)), 800)  # median ~7, ~18% at 20 or more
        return Paper(
            id=f"{24 + month // 12:02d}{month % 12 + 1:02d}.{index % 25_000 + 1:05d}",
            title=title,
            summary=summary,
            authors=authors,
            upvotes=upvotes,
            comments=rng.randint(0, 3) if rng.random() < 0.4 else 0,
            day=day,
            published_at=datetime(day.year, day.month, day.day, tzinfo=UTC)
            - timedelta(days=rng.randint(1, 5), minutes=rng.randint(0, 1439)),
            ai_summary=rng.choice(self._pools[topic.name])[0].replace(_METHOD, method),
            ai_keywords=keywords,
            github_repo=repo,
            github_stars=rng.randint(0, 3000) if has_code else None,
            project_page=f"https://{method.lower()}.github.io/" if rng.random() < 0.3 else None,
            organization=rng.choice(ORGS) if rng.random() < 0.6 else None,
            thumbnail=None,
        )

    def _abstract(self, rng: random.Random, topic: Topic, other: Topic, words: int) -> str:
        """Sentences (4 in 5 from the paper's topic) up to exactly `words` words."""
        own, mixed = self._pools[topic.name], self._pools[other.name]
        sentences: list[str] = []
        count = 0
        while count < words:
            text, length = rng.choice(own if rng.random() < 0.8 else mixed)
            if count + length > words:
                text = " ".join(text.split()[: words - count]).rstrip(",;:.") + "."
                length = words - count
            sentences.append(text)
            count += length
        return " ".join(sentences)

    def make(self, count: int, start: int = 0) -> list[Paper]:
        """Papers start..start+count-1."""
        return [self.paper(i) for i in range(start, start + count)]


def _method_name(rng: random.Random) -> str:
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    style = rng.random()
    if style < 0.4:
        return name.upper()
    if style < 0.7:
        return name.capitalize() + rng.choice(("-R1", "-VL", "-7B", "Bench", "Gen", "-Zero"))
    return name.capitalize()


def _title_case(text: str) -> str:
    return " ".join(w if w[:1].isupper() else w[:1].upper() + w[1:] for w in text.split())


class _Slots(dict[str, str]):
    """Template slots drawn lazily (only the ones a template names), one draw per slot."""

    def __init__(self, rng: random.Random, topic: Topic, other: Topic, method: str) -> None:
        super().__init__()
        self.rng = rng
        self.topic = topic
        self.mix = other if rng.random() < 0.25 else topic
        self.method = method

    def __missing__(self, key: str) -> str:
        rng = self.rng
        value: str
        if key == "topic":
            value = rng.choice(self.topic.phrases)
        elif key == "Topic":
            value = _upper_first(self["topic"])
        elif key == "task":
            value = rng.choice(self.topic.tasks)
        elif key == "task2":
            value = rng.choice(self.mix.tasks)
        elif key == "tech":
            value = rng.choice(self.mix.techniques)
        elif key in ("adj", "adj2"):
            value = rng.choice(ADJECTIVES)
        elif key in ("g", "g2"):
            value = rng.choices(GENERAL, cum_weights=_GENERAL_CUM)[0]
        elif key == "M":
            value = self.method
        elif key == "verb":
            value = rng.choice(VERBS)
        elif key == "n":
            value = str(rng.choice((3, 5, 7, 12, 20, 50_000, 120_000)))
        elif key == "pct":
            value = str(rng.randint(2, 40))
        else:
            raise KeyError(key)
        self[key] = value
        return value


class _TitleSlots(dict[str, str]):
    """Title-case views of slots: `{Adj}` is slot `adj` in title case, `{M}` stays as is."""

    _NAMES: ClassVar[dict[str, str]] = {
        "Adj": "adj",
        "Adj2": "adj2",
        "Tech": "tech",
        "Task": "task",
        "Topic": "topic",
        "G": "g",
    }

    def __init__(self, slots: _Slots) -> None:
        super().__init__()
        self.slots = slots

    def __missing__(self, key: str) -> str:
        if key == "M":
            return self.slots["M"]
        return _title_case(self.slots[self._NAMES[key]])


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Filler:
    """Fills title and sentence templates from one paper's topics."""

    def __init__(self, rng: random.Random, topic: Topic, other: Topic, method: str) -> None:
        self.rng = rng
        self.topic = topic
        self.other = other
        self.method = method

    def _slots(self) -> _Slots:
        return _Slots(self.rng, self.topic, self.other, self.method)

    def title(self, survey: bool) -> str:
        slots = self._slots()
        template = self.rng.choice(SURVEY_TITLES if survey else TITLES)
        return template.format_map(_TitleSlots(slots))

    def sentence(self) -> str:
        return self.rng.choice(SENTENCES).format_map(self._slots())


# --- timing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock samples (seconds) of repeated runs of one operation."""

    samples: tuple[float, ...]

    @property
    def runs(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile (the maximum when there are fewer than 20 runs)."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def total(self) -> float:
        return sum(self.samples)


def measure(
    fn: Callable[[], object],
    *,
    min_runs: int = 5,
    max_runs: int = 50,
    budget: float = 0.2,
    cap: float = 1.5,
    warmup: int = 1,
) -> Timing:
    """Time `fn` with perf_counter after `warmup` runs.

    Runs at least `min_runs` times, then on until `budget` seconds of timed runs or `max_runs`.
    A slow operation stops sooner: a warm-up run longer than `budget` counts as the first
    timed run (caches are a rounding error then), and once the timed runs pass `cap` seconds
    it stops after 3 runs.
    """
    samples: list[float] = []
    for _ in range(warmup):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        if elapsed > budget:
            samples.append(elapsed)
            break
    spent = sum(samples)
    while len(samples) < max_runs and (len(samples) < min_runs or spent < budget):
        if len(samples) >= 3 and spent >= cap:
            break
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        samples.append(elapsed)
        spent += elapsed
    return Timing(tuple(samples))


def ms(seconds: float) -> str:
    """Milliseconds with precision that suits the magnitude."""
    value = seconds * 1000
    if value < 1:
        return f"{value:.3f}"
    if value < 100:
        return f"{value:.2f}"
    return f"{value:,.0f}"


def rate(count: float, seconds: float) -> str:
    """Items per second, human-sized."""
    if seconds <= 0:
        return "∞"
    per_second = count / seconds
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M"
    if per_second >= 1e4:
        return f"{per_second / 1e3:,.0f} k"
    return f"{per_second:,.0f}"


def count_label(n: int) -> str:
    """1000 → 1k, 50000 → 50k, 1500 → 1,500."""
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else f"{n:,}"


def console() -> Console:
    """A rich console; wide enough for the tables when stdout is not a terminal."""
    if sys.stdout.isatty() or "COLUMNS" in os.environ:
        return Console()
    return Console(width=max(180, shutil.get_terminal_size((180, 24)).columns))


def environment() -> str:
    """One line describing where the numbers were taken."""
    import sqlite3

    return (
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, {sys.platform}"
    )


def positive_ints(values: Sequence[int], name: str) -> list[int]:
    """Validate a list of sizes from the command line."""
    if not values or any(v <= 0 for v in values):
        raise SystemExit(f"{name}: every value must be a positive integer")
    return list(values)


# --- event loop and CPU (bench/fanout.py, bench/startup.py) ---------------------------------
# Imported here, not at the top, so that these helpers are only ever appended to this file.

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402


class LoopStalls:
    """A ticker task that records how late the running event loop wakes it (its stalls).

    `async with LoopStalls() as stalls:` around the work; `stalls.worst` is the longest time
    (seconds) the loop ran something else past a tick, `stalls.over(0.1)` how many ticks were
    that late. Ticks are `interval` apart; `ticks` holds (perf_counter at the tick, lateness).
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.ticks: list[tuple[float, float]] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval)
            end = time.perf_counter()
            self.ticks.append((end, max(0.0, end - start - self.interval)))

    @property
    def lags(self) -> list[float]:
        """How late each tick came, in seconds."""
        return [lag for _, lag in self.ticks]

    @property
    def worst(self) -> float:
        """The longest stall seen, in seconds (0.0 before any tick)."""
        return max(self.lags, default=0.0)

    def over(self, seconds: float) -> int:
        """How many ticks came more than `seconds` late."""
        return sum(1 for lag in self.lags if lag > seconds)

    async def __aenter__(self) -> LoopStalls:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)  # the ticker's first sleep starts now
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def top_functions(profile: cProfile.Profile, count: int = 20, sort: str = "tottime") -> str:
    """The `count` costliest functions of a profile as pstats prints them, paths shortened."""
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.sort_stats(sort).print_stats(count)
    lines = text.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    prefixes = sorted({p for p in sys.path if p}, key=len, reverse=True)
    out = []
    for line in lines[start:]:
        for prefix in prefixes:
            line = line.replace(prefix + os.sep, "")
        out.append(line)
    return "\n".join(out).rstrip()
