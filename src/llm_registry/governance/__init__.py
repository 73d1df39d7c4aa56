"""Governance (DESIGN §2.5): policies as CEL rules, the gate every change passes, approval
requests, and evaluation results that rules can ask about."""
