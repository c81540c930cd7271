"""What a run of a workflow is expected to spend on AI calls, before it starts (the credit
check of seed 003, counted in US dollars).

Each ``ai_task`` is counted once (a loop's are not multiplied: its length is unknown until
the run), its input as its unrendered system, prompt and schema at ``CHARS_PER_TOKEN``
characters a token, its output as its ``max_tokens`` or ``OUTPUT_TOKENS``; repairs and
cached answers are not predicted. A step naming no model is priced at the deployment's
default model; a model the price table does not know counts 0.
"""

import json
import math

from app.actions.ai.prices import Prices
from app.models.document import WorkflowDocument

CHARS_PER_TOKEN = 4
OUTPUT_TOKENS = 500  # expected answer length of a step that sets no max_tokens


def run_cost(document: WorkflowDocument, prices: Prices, default_model: str | None) -> float:
    """Expected US dollars one run spends on AI calls."""
    total = 0.0
    for action in document.all_actions():
        if action.type != "ai_task":
            continue
        data = action.data
        model = data.get("model") or default_model
        if not isinstance(model, str):
            continue
        asked = [data.get("system"), data.get("prompt_template"), data.get("output_mapping")]
        input_tokens = math.ceil(len(json.dumps(asked)) / CHARS_PER_TOKEN)
        parameters = data.get("parameters")
        limit = parameters.get("max_tokens") if isinstance(parameters, dict) else None
        output_tokens = limit if isinstance(limit, int) else OUTPUT_TOKENS
        total += prices.cost(model, input_tokens, output_tokens).usd
    return total
