"""Generated from proto/ by `python -m dubline.bridge.codegen`; do not edit."""
