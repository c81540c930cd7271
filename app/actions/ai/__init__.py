"""The AI connector: language model providers and the ai_task action."""
