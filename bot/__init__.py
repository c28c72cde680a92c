"""Rights Line: an anonymous, multilingual know-your-rights line for Albuquerque, by SMS and voice.
The engine is pure; web, Redis, RQ and Twilio sit at the edges."""
