"""The indexes of each collection, created when the store opens, and those of earlier
versions it drops."""

from pymongo import ASCENDING, IndexModel

INDEXES: dict[str, list[IndexModel]] = {
    "tenants": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "tenant_limits": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "tenant_settings": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "key_guards": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "api_keys": [
        IndexModel([("key_hash", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("key_id", ASCENDING)], unique=True),
    ],
    "workflows": [
        IndexModel([("tenant_id", ASCENDING), ("workflow_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("trigger_type", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("updated_at", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("tags", ASCENDING), ("workflow_id", ASCENDING)]),
    ],
    "revisions": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "claims": [IndexModel([("tenant_id", ASCENDING), ("key", ASCENDING)], unique=True)],
    "events": [
        IndexModel([("tenant_id", ASCENDING), ("event_id", ASCENDING)], unique=True),
        IndexModel([("received_at", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("received_at", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("type", ASCENDING), ("event_id", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("user.id", ASCENDING), ("event_id", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("idempotency_key", ASCENDING)]),
    ],
    "runs": [
        IndexModel([("tenant_id", ASCENDING), ("run_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("workflow_id", ASCENDING), ("run_id", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("status", ASCENDING), ("run_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("updated_at", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("created_at", ASCENDING), ("run_id", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("wait_key", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("listen_keys", ASCENDING)]),
    ],
    "event_shapes": [
        IndexModel(
            [("tenant_id", ASCENDING), ("event_type", ASCENDING), ("paths", ASCENDING)],
            unique=True,
        )
    ],
    "event_keys": [
        IndexModel([("tenant_id", ASCENDING), ("key", ASCENDING), ("received_at", ASCENDING)]),
        IndexModel([("received_at", ASCENDING)]),
    ],
    "audit": [
        IndexModel([("tenant_id", ASCENDING), ("entry_id", ASCENDING)], unique=True),
        IndexModel(
            [
                ("tenant_id", ASCENDING),
                ("entity_type", ASCENDING),
                ("entity_id", ASCENDING),
                ("entry_id", ASCENDING),
            ]
        ),
        IndexModel([("tenant_id", ASCENDING), ("actor", ASCENDING), ("entry_id", ASCENDING)]),
    ],
    "steps": [
        IndexModel([("tenant_id", ASCENDING), ("run_id", ASCENDING), ("seq", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("workflow_id", ASCENDING), ("seq", ASCENDING)]),
    ],
    "secrets": [IndexModel([("tenant_id", ASCENDING), ("name", ASCENDING)], unique=True)],
    "integrations": [IndexModel([("tenant_id", ASCENDING), ("code", ASCENDING)], unique=True)],
    "workflow_versions": [
        IndexModel(
            [("tenant_id", ASCENDING), ("workflow_id", ASCENDING), ("version", ASCENDING)],
            unique=True,
        )
    ],
    "profiles": [
        IndexModel([("tenant_id", ASCENDING), ("user_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("last_seen", ASCENDING)]),
    ],
    "segments": [IndexModel([("tenant_id", ASCENDING), ("segment_id", ASCENDING)], unique=True)],
    "campaigns": [IndexModel([("tenant_id", ASCENDING), ("campaign_id", ASCENDING)], unique=True)],
    "campaign_members": [
        IndexModel(
            [("tenant_id", ASCENDING), ("campaign_id", ASCENDING), ("user_id", ASCENDING)],
            unique=True,
        )
    ],
    "message_templates": [IndexModel([("tenant_id", ASCENDING), ("name", ASCENDING)], unique=True)],
    "retention": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "hooks": [
        IndexModel([("hook_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("hook_id", ASCENDING)]),
    ],
    "alert_rules": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "notices": [
        IndexModel([("tenant_id", ASCENDING), ("key", ASCENDING)], unique=True),
        IndexModel([("at", ASCENDING)]),
    ],
    "bulk_jobs": [IndexModel([("tenant_id", ASCENDING), ("job_id", ASCENDING)], unique=True)],
    "outbox": [
        IndexModel([("tenant_id", ASCENDING), ("message_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("idempotency_key", ASCENDING)], unique=True),
    ],
    "ai_usage": [
        IndexModel([("tenant_id", ASCENDING), ("at", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("run_id", ASCENDING)]),
    ],
}

# Indexes of earlier versions that one above now serves, by their names (MongoDB's, from
# their fields): each costs every insert a write. ``runs``' (tenant_id, created_at) is the
# start of (tenant_id, created_at, run_id), which a listing by time walks in its order.
RETIRED: dict[str, list[str]] = {"runs": ["tenant_id_1_created_at_1"]}
