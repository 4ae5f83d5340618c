"""Local strict fakes of the remote services paperboy talks to."""
