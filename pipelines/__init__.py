"""FineForge: recipes that turn raw video annotations into fine-grained video-understanding datasets.

Layout: ``pipelines.core`` holds what every recipe shares (records, deterministic randomness,
shard writing, manifests and rejects, executors, video, LLM client, Hub publishing, data cards,
reports); each recipe (``finebench``, ...) is a subpackage of small stage modules.
"""

__version__ = "0.1.0"
