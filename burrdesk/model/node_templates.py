"""What a freshly added node of each kind starts with: valid, runnable, and easy to edit."""

from __future__ import annotations

from burrdesk.model.flow_document import FlowNode

KIND_DESCRIPTIONS = {
    "python": "Python action: a function over the state",
    "llm": "LLM call: a chat completion over a prompt template",
    "input": "Input: asks the person for values",
    "end": "End: where the flow finishes",
}


def new_node(kind: str, node_id: str, position: tuple[float, float] = (0.0, 0.0)) -> FlowNode:
    """A new node of `kind` named `node_id` at `position`."""
    label = node_id.replace("_", " ").capitalize()
    if kind == "python":
        return FlowNode(
            id=node_id,
            kind="python",
            label=label,
            code=f"def {node_id}(state: State) -> State:\n    return state\n",
            position=position,
        )
    if kind == "llm":
        return FlowNode(
            id=node_id,
            kind="llm",
            label=label,
            params={
                "model": "gpt-4o-mini",
                "system_prompt": "You are a helpful assistant.",
                "prompt_template": "{prompt}",
                "output_key": "response",
                "history_key": None,
                "temperature": 0.7,
            },
            position=position,
        )
    if kind == "input":
        return FlowNode(
            id=node_id,
            kind="input",
            label=label,
            params={"inputs": [{"name": "prompt", "type": "str", "prompt": "Your message"}]},
            position=position,
        )
    return FlowNode(id=node_id, kind="end", label=label, position=position)
